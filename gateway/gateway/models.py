"""The gateway's tables: units, users, refresh tokens, login attempts, API keys, audit log."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp
from opsdesk_shared.personal_data import EncryptedPhone


class Unit(SQLModel, table=True):
    __tablename__ = "unit"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    name: str
    kind: str
    parent_id: UUID | None = Field(default=None, foreign_key="unit.id")
    # Ancestors from the root down to this unit (itself included): subtree = path contains id.
    path: list[UUID] = Field(sa_column=sa.Column(pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False))
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
    version: int = 0  # one more per announced change; `unit.*` events carry it (messaging/ordering.py)


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    username: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    password_hash: str
    display_name: str
    phone: str | None = Field(default=None, sa_column=sa.Column(EncryptedPhone))
    roles: list[str] = Field(sa_column=sa.Column(pg.ARRAY(sa.Text), nullable=False))
    unit_id: UUID | None = Field(default=None, foreign_key="unit.id")
    is_active: bool = True
    must_change_password: bool = False
    password_changed_at: datetime = Field(sa_column=timestamp(nullable=False))
    last_login_at: datetime | None = Field(default=None, sa_column=timestamp())
    # When an administrator last enabled the account again: dormancy counts from here too.
    reactivated_at: datetime | None = Field(default=None, sa_column=timestamp())
    # The second factor (auth/totp.py): the secret sealed by the gateway, and replay protection.
    totp_secret: str | None = None
    totp_confirmed_at: datetime | None = Field(default=None, sa_column=timestamp())
    totp_last_step: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))
    version: int = 0  # one more per announced change; `user.*` events carry it (messaging/ordering.py)


class RefreshToken(SQLModel, table=True):
    """One link of a rotation chain. Every token rotated from one sign-in shares `family_id` and
    `signed_in_at`: a reused token revokes its family, and the session ends a fixed time after sign-in."""

    __tablename__ = "refresh_token"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    user_id: UUID = Field(foreign_key="app_user.id", index=True)
    family_id: UUID = Field(index=True)
    signed_in_at: datetime = Field(sa_column=timestamp(nullable=False))
    token_hash: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    expires_at: datetime = Field(sa_column=timestamp(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp())
    created_at: datetime = Field(sa_column=timestamp(nullable=False))


class LoginAttempt(SQLModel, table=True):
    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    username: str = Field(index=True)
    succeeded: bool
    client_ip: str | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    name: str
    prefix: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    key_hash: str
    scopes: list[str] = Field(sa_column=sa.Column(pg.ARRAY(sa.Text), nullable=False))
    created_by: UUID | None = None
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp())


class AuditEntry(SQLModel, table=True):
    """Append-only: the gateway never updates or deletes a row (kept ≥ 180 days)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    at: datetime = Field(sa_column=timestamp(nullable=False, index=True))
    actor_id: UUID | None = None
    actor_name: str | None = None
    action: str
    method: str
    path: str
    status: int
    client_ip: str | None = None
    request_id: str | None = None
    # Set by the gateway on insert with the audit key (gateway/audit_chain.py): the tamper-evident chain.
    chain_seq: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, unique=True))
    prev_hash: str | None = None
    entry_hash: str | None = None
    # What the write changed, row by row, before and after (opsdesk_shared/audit_trail.py); under the MAC.
    changes: list[dict[str, Any]] | None = Field(default=None, sa_column=sa.Column(pg.JSONB))
