"""Queueing SMS from events, and the state changes of a message. Never sends by itself: the sender
(sender.py) claims queued rows, so that a message is recorded before any attempt to send it."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID, uuid4

from sqlalchemy import DateTime, Select, Table, Text, bindparam, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.messages import policy
from notifications.messages.models import SmsMessage, SmsStatusChange
from notifications.messages.segments import count_segments, encoding_of
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.notifications import SmsDelivered, SmsFailed, SmsSent, SmsStatus
from opsdesk_shared.messaging.outbox import add_event
from opsdesk_shared.phones import mask_phone

PRODUCER = "notifications"
# The template code of an SMS that merges several messages' news (merging.py).
MERGED_TEMPLATE = "merged_ticket_news"
SEND_CHANNEL = "opsdesk_sms_queued"
# Later states never move back to earlier ones, whatever order callbacks arrive in.
RANK = {"queued": 0, "sending": 1, "sent": 2, "undelivered": 3, "failed": 3, "suppressed": 3, "delivered": 4}
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
    limits: policy.Limits | None = None,
    urgent: bool = False,
    deferrable: bool = False,
    ticket_news: bool = False,
    ticket_number: str | None = None,
    provider: str = "twilio",
    provider_template: str | None = None,
    template_params: dict[str, str] | None = None,
) -> UUID | None:
    """Record a message to send; None when this event already produced one for this recipient.

    Non-urgent messages respect opt-outs (recorded as `suppressed`) and, unless they are ticket news (merged
    per number by the sender instead, merging.py), the per-recipient rate limit; deferrable ones also wait out
    quiet hours (both by deferring `next_attempt_at`). Urgent ones (staff escalations) go at once."""
    now = datetime.now(UTC)
    status, not_before, why = "queued", now, None
    if not urgent and limits is not None:
        opted = await policy.opted_out_among(session, [recipient])
        recent = {} if ticket_news else await policy.recent_counts(session, [recipient], now)
        count, oldest = recent.get(recipient, (0, now))
        status, not_before, why = policy.decide(
            now,
            opted_out=bool(opted),
            sent_last_hour=count,
            oldest_in_hour=oldest,
            deferrable=deferrable,
            limits=limits,
        )
    params = {
        "id": uuid4(),
        "event_id": event_id,
        "recipient": recipient,
        "body": body,
        "template": template,
        "ticket_id": ticket_id,
        "urgent": urgent,
        "ticket_news": ticket_news,
        "ticket_number": ticket_number,
        "provider": provider,
        "provider_template": provider_template,
        "template_params": template_params,
        "status": status,
        "segments": count_segments(body),
        "encoding": encoding_of(body),
        "attempts": 0,
        "next_attempt_at": not_before,
        "created_at": now,
        "updated_at": now,
        "why": why,
    }
    result = await session.execute(QUEUE[status == "queued" and not_before <= now], params)
    return cast(UUID | None, result.scalar())


def _queue_statement(wake: bool) -> Select[Any]:
    """The message, its first status and (if it is due) the sender's wake-up in one statement, the hot path of
    every ticket's SMS; nothing is written or woken when the event already produced an SMS for this recipient.
    Built once with bound parameters, as composing it costs more CPU than running it."""
    table = cast(Table, SmsMessage.__table__)
    message = (
        insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in QUEUED_COLUMNS})
        .on_conflict_do_nothing(index_elements=["event_id", "recipient"], index_where=text("event_id IS NOT NULL"))
        .returning(table.c.id)
        .cte("message")
    )
    first_status = insert(SmsStatusChange).from_select(
        ["message_id", "status", "source", "detail", "at"],
        select(
            message.c.id,
            bindparam("status", type_=Text),
            literal_column("'event'"),
            bindparam("why", type_=Text),
            bindparam("created_at", type_=DateTime(timezone=True)),
        ),
    )
    columns: list[Any] = [message.c.id, func.pg_notify(SEND_CHANNEL, "")] if wake else [message.c.id]
    return select(*columns).add_cte(first_status.cte("first_status"))


QUEUED_COLUMNS = (
    "id",
    "event_id",
    "recipient",
    "body",
    "template",
    "ticket_id",
    "urgent",
    "ticket_news",
    "ticket_number",
    "provider",
    "provider_template",
    "template_params",
    "status",
    "segments",
    "encoding",
    "attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
)
QUEUE = {wake: _queue_statement(wake) for wake in (False, True)}


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
    session: AsyncSession,
    message: SmsMessage,
    status: str,
    *,
    source: str,
    detail: str | None = None,
    collect: list[Event] | None = None,
) -> bool:
    """Move `message` forward to `status` (never backwards); publish sms.sent/delivered/failed.

    A merged SMS carries its parts along (each ticket's own message then reads sent, delivered ...); only the
    SMS itself is published, as it is what the provider carried and charged."""
    if not _move(session, message, status, source=source, detail=detail):
        return False
    if status in ("sent", "delivered", "failed", "undelivered"):
        if collect is not None:  # the caller writes a batch's events in one statement
            collect.append(_status_event(message, status))
        else:
            await add_event(session, _status_event(message, status), producer=PRODUCER)
    if message.template == MERGED_TEMPLATE:
        parts = await session.execute(select(SmsMessage).where(SmsMessage.merged_into == message.id).with_for_update())
        for part in parts.scalars():
            part.error_code = message.error_code
            _move(session, part, status, source=source, detail=f"in {message.id}")
    return True


def _move(session: AsyncSession, message: SmsMessage, status: str, *, source: str, detail: str | None) -> bool:
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
    return True


# The subquery sorts before any lock is taken (a lock function beside ORDER BY would run before the sort).
HOLD_RECEIPTS = text(
    "SELECT count(pg_advisory_xact_lock(key)) FROM"
    " (SELECT DISTINCT hashtextextended(k, 0) AS key FROM unnest(CAST(:keys AS text[])) AS k ORDER BY key) AS held"
)


async def hold_receipts_of(session: AsyncSession, sids: Iterable[str]) -> None:
    """Until the transaction ends, no other transaction records a send or a receipt under these provider ids.

    A receipt can overtake our own record of the send: it is then kept as an orphan, and recording the send
    applies it. Without this lock the two could interleave (the receipt looking for the message before the
    send's record commits, the send looking for orphans before the receipt's commits) and the receipt was
    never applied. Both sides take these locks before anything else, in one order (of the lock keys, so that
    even two sids whose keys collide cannot deadlock), in one statement for a whole batch."""
    keys = sorted({f"sms-receipt:{sid}" for sid in sids})
    if keys:
        await session.execute(HOLD_RECEIPTS, {"keys": keys})


async def queue_many(
    session: AsyncSession,
    messages: list[tuple[str, str]],
    *,
    template: str | None,
    provider: str = "twilio",
    provider_template: str | None = None,
    params: list[dict[str, str]] | None = None,
    client_id: UUID | None,
    deferrable: bool,
    limits: policy.Limits,
) -> list[UUID]:
    """A business batch: the same `policy.decide` as `queue_message`, in a handful of statements for the lot
    (one for opt-outs, one for recent counts, one insert of messages, one of their first status)."""
    now = datetime.now(UTC)
    phones = sorted({phone for phone, _ in messages})
    opted = await policy.opted_out_among(session, phones)
    recent = await policy.recent_counts(session, phones, now)
    seen: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for index, (phone, body) in enumerate(messages):
        message_id = uuid4()
        count, oldest = recent.get(phone, (0, now))
        status, not_before, why = policy.decide(
            now,
            opted_out=phone in opted,
            sent_last_hour=count + seen.get(phone, 0),
            oldest_in_hour=oldest,
            deferrable=deferrable,
            limits=limits,
        )
        seen[phone] = seen.get(phone, 0) + 1
        rows.append(
            {
                "id": message_id,
                "event_id": None,
                "recipient": phone,
                "body": body,
                "template": template,
                "ticket_id": None,
                "client_id": client_id,
                "urgent": False,
                "status": status,
                "segments": count_segments(body),
                "encoding": encoding_of(body),
                "provider": provider,
                "provider_template": provider_template,
                "template_params": params[index] if params is not None else None,
                "attempts": 0,
                "needs_reconcile": False,
                "next_attempt_at": not_before,
                "created_at": now,
                "updated_at": now,
            }
        )
        changes.append({"message_id": message_id, "status": status, "source": "api", "detail": why, "at": now})
    await session.execute(insert(SmsMessage), rows)
    await session.execute(insert(SmsStatusChange), changes)
    await session.execute(text("SELECT pg_notify(:c, '')"), {"c": SEND_CHANNEL})
    return [row["id"] for row in rows]
