"""Every SMS we send, with its state history (SPEC §6)."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp
from opsdesk_shared.personal_data import EncryptedPhone


class SmsMessage(SQLModel, table=True):
    """queued -> sending -> sent -> delivered | undelivered | failed (failed also straight from sending)."""

    __tablename__ = "sms_message"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    event_id: UUID | None = None  # the event that caused it: at most one SMS per (event, recipient)
    recipient: str = Field(sa_column=sa.Column(EncryptedPhone, nullable=False))
    body: str
    template: str | None = None
    ticket_id: UUID | None = Field(default=None, index=True)
    # Who asked: an event's rule, or a `system` client's business request (its API key id).
    client_id: UUID | None = None
    urgent: bool = False
    # News about a ticket to someone party to it (its requester, its engineer): exempt from the per-number hourly
    # limit; merged with the number's other news due within the merge window (merging.py).
    ticket_news: bool = False
    ticket_number: str | None = None  # names the ticket in a merged SMS
    # Sent as part of that (merged) message, whose status this one follows.
    merged_into: UUID | None = Field(default=None, foreign_key="sms_message.id", index=True)
    status: str = "queued"
    segments: int = 1
    encoding: str = "UCS-2"
    provider: str = "twilio"
    provider_sid: str | None = Field(default=None, sa_column=sa.Column(sa.Text, unique=True))
    # A template-based provider (Aliyun) sends this template code with these parameters instead of `body`
    # (which stays the text as OpsDesk renders it, for people to read).
    provider_template: str | None = None
    template_params: dict[str, str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    # Aliyun's OutId of the call that carries it (its own id, or its SendBatchSms call's), recorded before the call:
    # reconciliation looks for it with QuerySendDetails.
    out_id: str | None = None
    attempts: int = 0
    # Set after an attempt whose outcome is unknown (time-out, crash): list before any resend.
    needs_reconcile: bool = False
    error_code: str | None = None
    error_message: str | None = None
    next_attempt_at: datetime = Field(sa_column=timestamp(nullable=False))
    lease_until: datetime | None = Field(default=None, sa_column=timestamp())
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=timestamp())
    delivered_at: datetime | None = Field(default=None, sa_column=timestamp())


class SmsStatusChange(SQLModel, table=True):
    __tablename__ = "sms_status_change"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    message_id: UUID = Field(foreign_key="sms_message.id", index=True)
    status: str
    source: str  # sender | callback | reconcile
    detail: str | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class SmsReveal(SQLModel, table=True):
    """A business SMS shown in full to the security administrator, who gave a reason (notifications/access.py).
    Its insert is what the gateway's audit entry of the reveal records: who, which message, why."""

    __tablename__ = "sms_reveal"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    message_id: UUID = Field(foreign_key="sms_message.id", index=True)
    actor_id: UUID
    actor_name: str
    reason: str
    at: datetime = Field(sa_column=timestamp(nullable=False))


class SmsOrphanCallback(SQLModel, table=True):
    """A status callback that arrived before we recorded the provider's sid; applied when we do."""

    __tablename__ = "sms_orphan_callback"

    id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(), primary_key=True))
    provider_sid: str = Field(index=True)
    status: str
    error_code: str | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class SmsTemplate(SQLModel, table=True):
    """A message text. `trigger` set: a rule's template, limited to that trigger's variables. Unset: a
    business template for `system` clients, with whatever variables it names."""

    __tablename__ = "sms_template"

    code: str = Field(primary_key=True)
    trigger: str | None = None
    body: str
    # The template registered with a template-based provider (Aliyun's 模板CODE, e.g. SMS_123456789), and which
    # OpsDesk variable fills each of its parameters ({"number": "number", "name": "engineer_name"}).
    provider_code: str | None = None
    provider_params: dict[str, str] | None = Field(default=None, sa_column=sa.Column(sa.JSON))
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))


class SmsRule(SQLModel, table=True):
    __tablename__ = "sms_rule"

    trigger: str = Field(primary_key=True)
    template_code: str = Field(foreign_key="sms_template.code")
    enabled: bool = True


class SmsOptOut(SQLModel, table=True):
    __tablename__ = "sms_opt_out"

    phone: str = Field(sa_column=sa.Column(EncryptedPhone, primary_key=True))
    source: str  # reply | admin | provider (the provider said the number refuses SMS, e.g. Aliyun MOBILE_IN_BLACK)
    at: datetime = Field(sa_column=timestamp(nullable=False))


class InboundSms(SQLModel, table=True):
    """Every reply we received, once (Twilio may post the same MessageSid again)."""

    __tablename__ = "sms_inbound"

    sid: str = Field(primary_key=True)
    from_phone: str = Field(sa_column=sa.Column(EncryptedPhone, nullable=False, index=True))
    body: str
    intent: str  # confirm | reopen | opt_out | unknown
    ticket_id: UUID | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class TicketContact(SQLModel, table=True):
    """What a requester SMS needs about a ticket, from intake's events: number, phone, status."""

    __tablename__ = "ticket_contact"

    ticket_id: UUID = Field(primary_key=True)
    number: str
    title: str
    requester_name: str | None = None  # the engineer's SMS names whom to ask for on site
    requester_phone: str = Field(sa_column=sa.Column(EncryptedPhone, nullable=False, index=True))
    status: str
    # When `status` was true: events of one ticket may be handled out of order, the latest wins.
    status_at: datetime = Field(sa_column=timestamp(nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=timestamp())


class SmsRequest(SQLModel, table=True):
    """A business request's `Idempotency-Key`: the same key from the same client gets the same ids."""

    __tablename__ = "sms_request"

    client_id: UUID = Field(primary_key=True)
    key: str = Field(primary_key=True)
    request_hash: str
    message_ids: list[str] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
