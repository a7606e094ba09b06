"""Events produced by notifications: SMS status."""

from datetime import datetime
from uuid import UUID

from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.personal_data import SealedPhone


class SmsStatus(Event):
    message_id: UUID
    ticket_id: UUID | None = None
    template: str | None = None
    to_masked: str
    status: str
    provider_sid: str | None = None
    segments: int
    at: datetime


class SmsSent(SmsStatus):
    type = "sms.sent"


class SmsDelivered(SmsStatus):
    type = "sms.delivered"


class SmsFailed(SmsStatus):
    type = "sms.failed"
    error_code: str | None = None


class SmsReplyReceived(Event):
    """A requester answered an SMS: `confirm` (1) or `reopen` (2) their latest resolved ticket.

    Intake owns tickets, so it is intake that closes or reopens, on this event."""

    type = "sms.reply_received"
    inbound_sid: str
    from_phone: SealedPhone
    ticket_id: UUID
    intent: str  # confirm | reopen
    body: str
    received_at: datetime
