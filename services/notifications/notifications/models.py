"""Every SMS we send, with its state history (SPEC §6)."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _ts(**kwargs: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(sa.DateTime(timezone=True), **kwargs)


class SmsMessage(SQLModel, table=True):
    """queued -> sending -> sent -> delivered | undelivered | failed (failed also straight from sending)."""

    __tablename__ = "sms_message"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    event_id: UUID | None = None  # the event that caused it: at most one SMS per (event, recipient)
    recipient: str
    body: str
    template: str | None = None
    ticket_id: UUID | None = Field(default=None, index=True)
    status: str = "queued"
    segments: int = 1
    encoding: str = "UCS-2"
    provider: str = "twilio"
    provider_sid: str | None = Field(default=None, sa_column=sa.Column(sa.Text, unique=True))
    attempts: int = 0
    # Set after an attempt whose outcome is unknown (time-out, crash): list before any resend.
    needs_reconcile: bool = False
    error_code: str | None = None
    error_message: str | None = None
    next_attempt_at: datetime = Field(sa_column=_ts(nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=_ts())
    created_at: datetime = Field(sa_column=_ts(nullable=False))
    updated_at: datetime = Field(sa_column=_ts(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=_ts())
    delivered_at: datetime | None = Field(default=None, sa_column=_ts())


class SmsStatusChange(SQLModel, table=True):
    __tablename__ = "sms_status_change"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    message_id: UUID = Field(foreign_key="sms_message.id", index=True)
    status: str
    source: str  # sender | callback | reconcile
    detail: str | None = None
    at: datetime = Field(sa_column=_ts(nullable=False))


class SmsOrphanCallback(SQLModel, table=True):
    """A status callback that arrived before we recorded the provider's sid; applied when we do."""

    __tablename__ = "sms_orphan_callback"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    provider_sid: str = Field(index=True)
    status: str
    error_code: str | None = None
    at: datetime = Field(sa_column=_ts(nullable=False))
