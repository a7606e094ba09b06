"""Replies and opt-outs, and the tickets a reply may be about."""

from datetime import datetime
from uuid import UUID

from sqlalchemy.orm import Mapped, mapped_column

from notifications.base import Base
from opsdesk_shared.personal_data import EncryptedPhone


class SmsOptOut(Base, kw_only=True):
    __tablename__ = "sms_opt_out"

    phone: Mapped[str] = mapped_column(EncryptedPhone, primary_key=True)
    # reply | admin | provider (the provider said the number refuses SMS, e.g. Aliyun MOBILE_IN_BLACK)
    source: Mapped[str]
    at: Mapped[datetime]


class InboundSms(Base, kw_only=True):
    """Every reply we received, once (Twilio may post the same MessageSid again)."""

    __tablename__ = "sms_inbound"

    sid: Mapped[str] = mapped_column(primary_key=True)
    from_phone: Mapped[str] = mapped_column(EncryptedPhone, index=True)
    body: Mapped[str]
    intent: Mapped[str]  # confirm | reopen | opt_out | unknown
    ticket_id: Mapped[UUID | None] = mapped_column(default=None)
    at: Mapped[datetime]


class TicketContact(Base, kw_only=True):
    """What a requester SMS needs about a ticket, from intake's events: number, phone, status."""

    __tablename__ = "ticket_contact"

    ticket_id: Mapped[UUID] = mapped_column(primary_key=True)
    number: Mapped[str]
    title: Mapped[str]
    requester_name: Mapped[str | None] = mapped_column(default=None)  # the engineer's SMS names whom to ask for
    requester_phone: Mapped[str] = mapped_column(EncryptedPhone, index=True)
    status: Mapped[str]
    # When `status` was true: events of one ticket may be handled out of order, the latest wins.
    status_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
