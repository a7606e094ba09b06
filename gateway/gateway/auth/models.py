"""Accounts and sign-ins: users, their refresh-token chains and every login attempt."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base
from opsdesk_shared.personal_data import EncryptedPhone


class User(Base, kw_only=True):
    __tablename__ = "app_user"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    username: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str]
    display_name: Mapped[str]
    phone: Mapped[str | None] = mapped_column(EncryptedPhone, default=None)
    roles: Mapped[list[str]] = mapped_column(pg.ARRAY(sa.Text))
    unit_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("unit.id"), default=None)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    password_changed_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # When an administrator last enabled the account again: dormancy counts from here too.
    reactivated_at: Mapped[datetime | None] = mapped_column(default=None)
    # The second factor (auth/totp.py): the secret sealed by the gateway, and replay protection.
    totp_secret: Mapped[str | None] = mapped_column(default=None)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger, default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # One more per announced change; `user.*` events carry it (messaging/ordering.py).
    version: Mapped[int] = mapped_column(default=0, server_default="0")


class RefreshToken(Base, kw_only=True):
    """One link of a rotation chain. Every token rotated from one sign-in shares `family_id` and
    `signed_in_at`: a reused token revokes its family, and the session ends a fixed time after sign-in."""

    __tablename__ = "refresh_token"
    __table_args__ = (
        sa.Index("refresh_token_user_id_idx", "user_id"),
        sa.Index("refresh_token_family_id_idx", "family_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("app_user.id"))
    family_id: Mapped[UUID]
    signed_in_at: Mapped[datetime]
    token_hash: Mapped[str] = mapped_column(unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class LoginAttempt(Base, kw_only=True):
    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("login_attempt_username_at_idx", "username", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, init=False)
    username: Mapped[str]
    succeeded: Mapped[bool]
    client_ip: Mapped[str | None] = mapped_column(default=None)
    at: Mapped[datetime]
