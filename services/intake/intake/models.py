"""Intake's tables: tickets, their timeline, and the per-day number counter."""

from datetime import date, datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel


def _utc_column(**kwargs: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(sa.DateTime(timezone=True), **kwargs)


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    number: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    title: str
    description: str
    category: str
    priority: str
    status: str = Field(index=True)
    unit_id: UUID = Field(index=True)
    requester_name: str
    requester_phone: str = Field(index=True)
    channel: str
    created_by: UUID | None = None
    created_at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))
    updated_at: datetime = Field(sa_column=_utc_column(nullable=False))


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's timeline: who did what, when."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    ticket_id: UUID = Field(foreign_key="ticket.id", index=True)
    kind: str
    actor_id: UUID | None = None
    actor_name: str | None = None
    detail: dict = Field(default_factory=dict, sa_column=sa.Column(pg.JSONB, nullable=False))  # type: ignore[type-arg]
    at: datetime = Field(sa_column=_utc_column(nullable=False))


class TicketNumberCounter(SQLModel, table=True):
    """Last sequence handed out per local (Asia/Shanghai) day; incremented atomically."""

    __tablename__ = "ticket_number_counter"

    day: date = Field(primary_key=True)
    last: int = 0
