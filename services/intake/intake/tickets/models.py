"""Tickets' tables: the ticket, its timeline and comments, duplicates, idempotent creates, the day counter."""

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base, uuid_array
from opsdesk_shared.personal_data import EncryptedPhone


class Ticket(Base, kw_only=True):
    __tablename__ = "ticket"
    __table_args__ = (
        sa.Index("ticket_status_idx", "status"),
        sa.Index("ticket_unit_id_idx", "unit_id"),
        sa.Index("ticket_requester_phone_idx", "requester_phone"),
        sa.Index("ticket_created_at_idx", "created_at", "id"),
        sa.Index("ticket_unit_path_idx", "unit_path", postgresql_using="gin"),
        sa.Index("ticket_resolved_at_idx", "resolved_at", postgresql_where=sa.text("status = 'resolved'")),
        sa.Index("ticket_asset_tag_idx", "asset_tag"),
        sa.Index(
            "ticket_search_trgm_idx",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        sa.Index(
            "ticket_search_without_personal_data_trgm_idx",
            "search_text_without_personal_data",
            postgresql_using="gin",
            postgresql_ops={"search_text_without_personal_data": "gin_trgm_ops"},
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    number: Mapped[str] = mapped_column(unique=True)
    title: Mapped[str]
    description: Mapped[str]
    category: Mapped[str]
    subcategory: Mapped[str | None] = mapped_column(default=None)
    impact: Mapped[str | None] = mapped_column(default=None)
    urgency: Mapped[str | None] = mapped_column(default=None)
    priority: Mapped[str]
    priority_reason: Mapped[str | None] = mapped_column(default=None)  # why the operator overrode the matrix
    status: Mapped[str]
    status_before_pending: Mapped[str | None] = mapped_column(default=None)
    pending_reason: Mapped[str | None] = mapped_column(default=None)
    unit_id: Mapped[UUID]
    # The unit's ancestors and itself: a requester of unit U sees tickets whose path contains U.
    unit_path: Mapped[list[UUID]] = uuid_array()
    requester_name: Mapped[str]
    requester_phone: Mapped[str] = mapped_column(EncryptedPhone)
    channel: Mapped[str]
    asset_tag: Mapped[str | None] = mapped_column(default=None)
    # The ledger asset the tag names (intake/ledger/); an inspection or monitoring ticket whose tag the ledger
    # does not know is opened anyway, the tag flagged `asset_unknown`.
    asset_id: Mapped[UUID | None] = mapped_column(default=None, index=True)
    asset_unknown: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    location: Mapped[str | None] = mapped_column(default=None)
    # on_track | warning | breached, from dispatch's sla.* events
    sla_state: Mapped[str] = mapped_column(default="on_track")
    engineer_name: Mapped[str | None] = mapped_column(default=None)
    resolution_code: Mapped[str | None] = mapped_column(default=None)
    resolution_summary: Mapped[str | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_remotely: Mapped[bool | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    rating: Mapped[int | None] = mapped_column(default=None)
    feedback: Mapped[str | None] = mapped_column(default=None)
    reopen_count: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # One more per announced change, in the change's transaction; its events carry it so that consumers
    # apply them in this order whatever order they arrive in (opsdesk_shared/messaging/ordering.py).
    version: Mapped[int] = mapped_column(default=0)
    # Free-text search (tickets/queries.py): trigram-indexed text the database generates; never loaded with
    # the row. Requesters search the one without the requester's name and phone.
    search_text: Mapped[str] = mapped_column(
        sa.Computed(
            "number || ' ' || title || ' ' || description || ' ' || requester_name || ' ' || "
            "coalesce(asset_tag, '') || ' ' || coalesce(location, '')",
            persisted=True,
        ),
        init=False,
        deferred=True,
    )
    search_text_without_personal_data: Mapped[str] = mapped_column(
        sa.Computed(
            "number || ' ' || title || ' ' || description || ' ' || coalesce(asset_tag, '') || ' ' || "
            "coalesce(location, '')",
            persisted=True,
        ),
        init=False,
        deferred=True,
    )


class TicketEvent(Base, kw_only=True):
    """One line of a ticket's timeline: who did what, when."""

    __tablename__ = "ticket_event"
    __table_args__ = (sa.Index("ticket_event_ticket_id_idx", "ticket_id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, init=False)
    ticket_id: Mapped[UUID] = mapped_column(sa.ForeignKey("ticket.id"))
    kind: Mapped[str]
    actor_id: Mapped[UUID | None] = mapped_column(default=None)
    actor_name: Mapped[str | None] = mapped_column(default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default_factory=dict)
    at: Mapped[datetime]


class TicketNumberCounter(Base, kw_only=True):
    """Last sequence handed out per local (Asia/Shanghai) day; incremented atomically."""

    __tablename__ = "ticket_number_counter"

    day: Mapped[date] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Comment(Base, kw_only=True):
    """Public comments are the requester's to read (and may go out by SMS); internal ones are staff-only."""

    __tablename__ = "ticket_comment"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    ticket_id: Mapped[UUID] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    author_id: Mapped[UUID | None] = mapped_column(default=None)
    author_name: Mapped[str | None] = mapped_column(default=None)
    body: Mapped[str]
    public: Mapped[bool]
    at: Mapped[datetime]


class IdempotentRequest(Base, kw_only=True):
    """A create request's `Idempotency-Key`: the same key from the same caller gets the same ticket."""

    __tablename__ = "idempotent_request"

    principal_id: Mapped[UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(primary_key=True)
    request_hash: Mapped[str]
    ticket_id: Mapped[UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class TicketDuplicate(Base, kw_only=True):
    """A ticket closed as a duplicate of another (its `survivor`): the duplicate's requester may read it."""

    __tablename__ = "ticket_duplicate"

    duplicate_id: Mapped[UUID] = mapped_column(sa.ForeignKey("ticket.id"), primary_key=True)
    survivor_id: Mapped[UUID] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    marked_by: Mapped[UUID | None] = mapped_column(default=None)
    at: Mapped[datetime]
