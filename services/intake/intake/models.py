"""Intake's tables: tickets, their timeline, and the per-day number counter."""

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
    # The ledger asset the tag names (intake/ledger/); an inspection or monitoring ticket whose tag the ledger
    # does not know is opened anyway, the tag flagged `asset_unknown`.
    asset_id: UUID | None = Field(default=None, index=True)
    asset_unknown: bool = False
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


class Attachment(SQLModel, table=True):
    __tablename__ = "ticket_attachment"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    ticket_id: UUID = Field(foreign_key="ticket.id", index=True)
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    uploaded_by: UUID | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class AttachmentBlob(SQLModel, table=True):
    """The PostgreSQL attachment store's bytes, apart from the metadata so listing never reads them."""

    __tablename__ = "attachment_blob"

    key: str = Field(primary_key=True)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))


class Unit(SQLModel, table=True):
    """The gateway's unit tree as intake knows it, from `unit.*` events."""

    __tablename__ = "known_unit"

    id: UUID = Field(primary_key=True)
    code: str
    name: str
    kind: str
    parent_id: UUID | None = None
    path: list[UUID] = Field(sa_column=sa.Column(pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False))
    applied_version: int = 0  # the newest of the gateway's unit events applied


class KnownUser(SQLModel, table=True):
    """People from the gateway's `user.*` events: who a ringing number belongs to."""

    __tablename__ = "known_user"

    user_id: UUID = Field(primary_key=True)
    username: str
    display_name: str
    phone: str | None = Field(default=None, sa_column=sa.Column(EncryptedPhone, index=True))
    unit_id: UUID | None = None
    roles: list[str] = Field(sa_column=sa.Column(pg.ARRAY(sa.Text), nullable=False))
    is_active: bool = True
    applied_version: int = 0  # the newest of the gateway's user events applied


class Call(SQLModel, table=True):
    """Every hotline call, logged by hand or from the phone system's events; none is ever deleted."""

    __tablename__ = "call"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    cti_call_id: str | None = Field(default=None, sa_column=sa.Column(sa.Text, unique=True))
    caller_phone: str = Field(sa_column=sa.Column(EncryptedPhone, nullable=False, index=True))
    direction: str = "inbound"
    state: str = "ended"  # ringing | answered | ended
    started_at: datetime = Field(sa_column=timestamp(nullable=False, index=True))
    answered_at: datetime | None = Field(default=None, sa_column=timestamp())
    ended_at: datetime | None = Field(default=None, sa_column=timestamp())
    operator_id: UUID | None = None
    operator_name: str | None = None
    agent: str | None = None
    outcome: str | None = None
    notes: str | None = None
    ticket_id: UUID | None = Field(default=None, foreign_key="ticket.id", index=True)
    created_at: datetime = Field(sa_column=timestamp(nullable=False))


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


class CannedReply(SQLModel, table=True):
    """A stock answer (常用回复) operators and dispatchers pick while commenting; admins keep them."""

    __tablename__ = "canned_reply"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    body: str
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))
