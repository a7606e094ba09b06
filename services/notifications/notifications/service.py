"""Queueing SMS from events, and the state changes of a message. Never sends by itself: the sender
(sender.py) claims queued rows, so that a message is recorded before any attempt to send it."""

from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import SmsMessage, SmsStatusChange
from notifications.segments import count_segments, encoding_of
from opsdesk_shared.contracts.notifications import SmsDelivered, SmsFailed, SmsSent, SmsStatus
from opsdesk_shared.messaging.outbox import add_event
from opsdesk_shared.phones import mask_phone

PRODUCER = "notifications"
SEND_CHANNEL = "opsdesk_sms_queued"
# Later states never move back to earlier ones, whatever order callbacks arrive in.
RANK = {"queued": 0, "sending": 1, "sent": 2, "undelivered": 3, "failed": 3, "delivered": 4}
TWILIO_STATUS = {
    "accepted": "sent",
    "queued": "sent",
    "sending": "sent",
    "scheduled": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}


async def queue_message(
    session: AsyncSession,
    *,
    event_id: UUID | None,
    recipient: str,
    body: str,
    template: str | None,
    ticket_id: UUID | None,
) -> bool:
    """Record a message to send. False when this event already produced one for this recipient."""
    now = datetime.now(UTC)
    stmt = (
        insert(SmsMessage)
        .values(
            id=uuid4(),
            event_id=event_id,
            recipient=recipient,
            body=body,
            template=template,
            ticket_id=ticket_id,
            status="queued",
            segments=count_segments(body),
            encoding=encoding_of(body),
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["event_id", "recipient"], index_where=text("event_id IS NOT NULL"))
    )
    result = await session.execute(stmt.returning(SmsMessage.id))
    message_id = result.scalar()
    if message_id is None:
        return False
    session.add(SmsStatusChange(message_id=message_id, status="queued", source="event", at=now))
    await session.execute(text("SELECT pg_notify(:c, '')"), {"c": SEND_CHANNEL})
    return True


def _status_event(message: SmsMessage, status: str) -> SmsStatus:
    cls: type[SmsStatus] = {"sent": SmsSent, "delivered": SmsDelivered}.get(status, SmsFailed)
    extra = {"error_code": message.error_code} if cls is SmsFailed else {}
    return cls(
        message_id=message.id,
        ticket_id=message.ticket_id,
        template=message.template,
        to_masked=mask_phone(message.recipient),
        status=status,
        provider_sid=message.provider_sid,
        segments=message.segments,
        at=datetime.now(UTC),
        **extra,
    )


async def advance(
    session: AsyncSession, message: SmsMessage, status: str, *, source: str, detail: str | None = None
) -> bool:
    """Move `message` forward to `status` (never backwards); publish sms.sent/delivered/failed."""
    if RANK.get(status, -1) <= RANK.get(message.status, -1):
        return False
    now = datetime.now(UTC)
    message.status = status
    message.updated_at = now
    message.lease_until = None
    if status == "sent":
        message.sent_at = message.sent_at or now
    if status == "delivered":
        message.delivered_at = now
    session.add(message)
    session.add(SmsStatusChange(message_id=message.id, status=status, source=source, detail=detail, at=now))
    if status in ("sent", "delivered", "failed", "undelivered"):
        await add_event(session, _status_event(message, status), producer=PRODUCER)
    return True


async def by_provider_sid(session: AsyncSession, sid: str) -> SmsMessage | None:
    stmt = select(SmsMessage).where(SmsMessage.provider_sid == sid).with_for_update()
    return (await session.execute(stmt)).scalar()
