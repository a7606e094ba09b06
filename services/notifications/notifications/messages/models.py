"""Every SMS we send, with its state history (SPEC §6)."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notifications.base import Base
from opsdesk_shared.personal_data import EncryptedPhone


class SmsMessage(Base, kw_only=True):
    """queued -> sending -> sent -> delivered | undelivered | failed (failed also straight from sending)."""

    __tablename__ = "sms_message"
    __table_args__ = (
        # One event -> at most one SMS per recipient, even under redelivery.
        sa.Index(
            "sms_message_event_recipient_key",
            "event_id",
            "recipient",
            unique=True,
            postgresql_where=sa.text("event_id IS NOT NULL"),
        ),
        sa.Index("sms_message_ticket_id_idx", "ticket_id"),
        sa.Index(
            "sms_message_sendable_idx", "next_attempt_at", postgresql_where=sa.text("status IN ('queued', 'sending')")
        ),
        sa.Index("sms_message_recipient_created_idx", "recipient", "created_at"),
        sa.Index("sms_message_merged_into_idx", "merged_into"),
        # The sender looks up a number's ticket news (what is due, what was last sent) at each claim.
        sa.Index("sms_message_ticket_news_idx", "recipient", "created_at", postgresql_where=sa.text("ticket_news")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    # The event that caused it: at most one SMS per (event, recipient).
    event_id: Mapped[UUID | None] = mapped_column(default=None)
    recipient: Mapped[str] = mapped_column(EncryptedPhone)
    body: Mapped[str]
    template: Mapped[str | None] = mapped_column(default=None)
    ticket_id: Mapped[UUID | None] = mapped_column(default=None)
    # Who asked: an event's rule, or a `system` client's business request (its API key id).
    client_id: Mapped[UUID | None] = mapped_column(default=None)
    urgent: Mapped[bool] = mapped_column(default=False)
    # News about a ticket to someone party to it (its requester, its engineer): exempt from the per-number hourly
    # limit; merged with the number's other news due within the merge window (messages/merging.py).
    ticket_news: Mapped[bool] = mapped_column(default=False)
    ticket_number: Mapped[str | None] = mapped_column(default=None)  # names the ticket in a merged SMS
    # Sent as part of that (merged) message, whose status this one follows.
    merged_into: Mapped[UUID | None] = mapped_column(sa.ForeignKey("sms_message.id"), default=None)
    status: Mapped[str] = mapped_column(default="queued")
    segments: Mapped[int] = mapped_column(default=1)
    encoding: Mapped[str] = mapped_column(default="UCS-2")
    provider: Mapped[str] = mapped_column(default="twilio")
    provider_sid: Mapped[str | None] = mapped_column(unique=True, default=None)
    # A template-based provider (Aliyun) sends this template code with these parameters instead of `body`
    # (which stays the text as OpsDesk renders it, for people to read).
    provider_template: Mapped[str | None] = mapped_column(default=None)
    template_params: Mapped[dict[str, str] | None] = mapped_column(sa.JSON, default=None)
    # Aliyun's OutId of the call that carries it (its own id, or its SendBatchSms call's), recorded before the call:
    # reconciliation looks for it with QuerySendDetails.
    out_id: Mapped[str | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    # Set after an attempt whose outcome is unknown (time-out, crash): list before any resend.
    needs_reconcile: Mapped[bool] = mapped_column(default=False)
    error_code: Mapped[str | None] = mapped_column(default=None)
    error_message: Mapped[str | None] = mapped_column(default=None)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class SmsStatusChange(Base, kw_only=True):
    __tablename__ = "sms_status_change"
    __table_args__ = (sa.Index("sms_status_change_message_id_idx", "message_id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, init=False)
    message_id: Mapped[UUID] = mapped_column(sa.ForeignKey("sms_message.id"))
    status: Mapped[str]
    source: Mapped[str]  # sender | callback | reconcile
    detail: Mapped[str | None] = mapped_column(default=None)
    at: Mapped[datetime]


class SmsReveal(Base, kw_only=True):
    """A business SMS shown in full to the security administrator, who gave a reason (messages/access.py).
    Its insert is what the gateway's audit entry of the reveal records: who, which message, why."""

    __tablename__ = "sms_reveal"
    __table_args__ = (sa.Index("sms_reveal_message_id_idx", "message_id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, init=False)
    message_id: Mapped[UUID] = mapped_column(sa.ForeignKey("sms_message.id"))
    actor_id: Mapped[UUID]
    actor_name: Mapped[str]
    reason: Mapped[str]
    at: Mapped[datetime]


class SmsReceipt(Base, kw_only=True):
    """A provider's delivery receipt as the API accepted it (one insert, so the provider's callback is answered at
    the cost of a statement), until the worker applies it to its message (messages/receipts.py)."""

    __tablename__ = "sms_receipt"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, init=False)
    provider_sid: Mapped[str]
    status: Mapped[str]  # ours: sent | delivered | undelivered | failed
    error_code: Mapped[str | None] = mapped_column(default=None)
    detail: Mapped[str | None] = mapped_column(default=None)  # the provider's own word (Twilio's status, Aliyun's code)
    received_at: Mapped[datetime]


class SmsOrphanCallback(Base, kw_only=True):
    """A status callback that arrived before we recorded the provider's sid; applied when we do."""

    __tablename__ = "sms_orphan_callback"
    __table_args__ = (sa.Index("sms_orphan_callback_provider_sid_idx", "provider_sid"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True, init=False)
    provider_sid: Mapped[str]
    status: Mapped[str]
    error_code: Mapped[str | None] = mapped_column(default=None)
    at: Mapped[datetime]
