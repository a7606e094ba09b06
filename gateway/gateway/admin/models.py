"""What administrators keep: the unit tree, API keys, and the append-only audit log of every write."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base


class Unit(Base, kw_only=True):
    __tablename__ = "unit"
    __table_args__ = (sa.Index("unit_path_idx", "path", postgresql_using="gin"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    code: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    kind: Mapped[str]
    parent_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("unit.id"), default=None)
    # Ancestors from the root down to this unit (itself included): subtree = path contains id.
    path: Mapped[list[UUID]] = mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)))
    created_at: Mapped[datetime]
    # One more per announced change; `unit.*` events carry it (messaging/ordering.py).
    version: Mapped[int] = mapped_column(default=0, server_default="0")


class ApiKey(Base, kw_only=True):
    __tablename__ = "api_key"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    name: Mapped[str]
    prefix: Mapped[str] = mapped_column(unique=True)
    key_hash: Mapped[str] = mapped_column(unique=True)
    scopes: Mapped[list[str]] = mapped_column(pg.ARRAY(sa.Text))
    created_by: Mapped[UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class AuditEntry(Base, kw_only=True):
    """Append-only: the gateway never updates or deletes a row (kept ≥ 180 days)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("audit_log_at_idx", "at"),
        sa.Index("audit_log_chain_seq_idx", "chain_seq", unique=True),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, init=False)
    at: Mapped[datetime]
    actor_id: Mapped[UUID | None] = mapped_column(default=None)
    actor_name: Mapped[str | None] = mapped_column(default=None)
    action: Mapped[str]
    method: Mapped[str]
    path: Mapped[str]
    status: Mapped[int]
    client_ip: Mapped[str | None] = mapped_column(default=None)
    request_id: Mapped[str | None] = mapped_column(default=None)
    # Set by the database on insert (the chain's trigger) with the gateway's keyed hash: the tamper-evident
    # chain (gateway/audit_chain.py).
    chain_seq: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    prev_hash: Mapped[str | None] = mapped_column(default=None)
    entry_hash: Mapped[str | None] = mapped_column(default=None)
    # What the write changed, row by row, before and after (opsdesk_shared/audit_trail.py); under the MAC.
    changes: Mapped[list[dict[str, Any]] | None] = mapped_column(pg.JSONB, default=None)
