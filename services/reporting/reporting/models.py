"""Reporting's read model: every event kept as received, and projections built from them."""

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel


def _ts(**kwargs: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(sa.DateTime(timezone=True), **kwargs)


class StoredEvent(SQLModel, table=True):
    """The events themselves, so projections can be rebuilt from scratch."""

    __tablename__ = "stored_event"

    id: UUID = Field(primary_key=True)
    type: str = Field(index=True)
    occurred_at: datetime = Field(sa_column=_ts(nullable=False, index=True))
    producer: str
    envelope: dict = Field(sa_column=sa.Column(pg.JSONB, nullable=False))  # type: ignore[type-arg]
    received_at: datetime = Field(sa_column=_ts(nullable=False))


class TicketFact(SQLModel, table=True):
    __tablename__ = "ticket_fact"

    ticket_id: UUID = Field(primary_key=True)
    number: str
    category: str
    priority: str
    status: str
    unit_id: UUID = Field(index=True)
    channel: str
    created_at: datetime = Field(sa_column=_ts(nullable=False, index=True))
    status_changed_at: datetime = Field(sa_column=_ts(nullable=False))
