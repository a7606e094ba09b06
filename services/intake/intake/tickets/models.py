"""Tickets' tables: the ticket, its timeline and comments, duplicates, idempotent creates, the day counter."""

from datetime import date, datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp
from opsdesk_shared.personal_data import EncryptedPhone


class Ticket(SQLModel, table=True):
    __tablename__ = "ticket"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    number: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    title: str
    description: str
    category: str
    subcategory: str | None = None
    impact: str | None = None
    urgency: str | None = None
    priority: str
    priority_reason: str | None = None  # why the operator overrode the matrix
    status: str = Field(index=True)
    status_before_pending: str | None = None
    pending_reason: str | None = None
    unit_id: UUID = Field(index=True)
    # The unit's ancestors and itself: a requester of unit U sees tickets whose path contains U.
    unit_path: list[UUID] = Field(sa_column=sa.Column(pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False))
    requester_name: str
    requester_phone: str = Field(sa_column=sa.Column(EncryptedPhone, nullable=False, index=True))
    channel: str
    asset_tag: str | None = None
    location: str | None = None
    sla_state: str = "on_track"  # on_track | warning | breached, from dispatch's sla.* events
    engineer_name: str | None = None
    resolution_code: str | None = None
    resolution_summary: str | None = None
    resolved_at: datetime | None = Field(default=None, sa_column=timestamp())
    resolved_remotely: bool | None = None
    closed_at: datetime | None = Field(default=None, sa_column=timestamp())
    rating: int | None = None
    feedback: str | None = None
    reopen_count: int = 0
    created_by: UUID | None = None
    created_at: datetime = Field(sa_column=timestamp(nullable=False, index=True))
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))
    # One more per announced change, in the change's transaction; its events carry it so that consumers
    # apply them in this order whatever order they arrive in (opsdesk_shared/messaging/ordering.py).
    version: int = 0


class TicketEvent(SQLModel, table=True):
    """One line of a ticket's timeline: who did what, when."""

    __tablename__ = "ticket_event"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    ticket_id: UUID = Field(foreign_key="ticket.id", index=True)
    kind: str
    actor_id: UUID | None = None
    actor_name: str | None = None
    detail: dict = Field(default_factory=dict, sa_column=sa.Column(pg.JSONB, nullable=False))  # type: ignore[type-arg]
    at: datetime = Field(sa_column=timestamp(nullable=False))


class TicketNumberCounter(SQLModel, table=True):
    """Last sequence handed out per local (Asia/Shanghai) day; incremented atomically."""

    __tablename__ = "ticket_number_counter"

    day: date = Field(primary_key=True)
    last: int = 0


class Comment(SQLModel, table=True):
    """Public comments are the requester's to read (and may go out by SMS); internal ones are staff-only."""

    __tablename__ = "ticket_comment"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    ticket_id: UUID = Field(foreign_key="ticket.id", index=True)
    author_id: UUID | None = None
    author_name: str | None = None
    body: str
    public: bool
    at: datetime = Field(sa_column=timestamp(nullable=False))


class IdempotentRequest(SQLModel, table=True):
    """A create request's `Idempotency-Key`: the same key from the same caller gets the same ticket."""

    __tablename__ = "idempotent_request"

    principal_id: UUID = Field(primary_key=True)
    key: str = Field(primary_key=True)
    request_hash: str
    ticket_id: UUID | None = None
    created_at: datetime = Field(sa_column=timestamp(nullable=False))


class TicketDuplicate(SQLModel, table=True):
    """A ticket closed as a duplicate of another (its `survivor`): the duplicate's requester may read it."""

    __tablename__ = "ticket_duplicate"

    duplicate_id: UUID = Field(foreign_key="ticket.id", primary_key=True)
    survivor_id: UUID = Field(foreign_key="ticket.id", index=True)
    marked_by: UUID | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))
