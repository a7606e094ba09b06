"""Ticket news to one number, merged: a police station whose one duty phone files a dozen tickets gets every
ticket's news without an hour's wait, in a few SMS naming each ticket, never a dozen in a minute.

Ticket news (rules.Trigger.ticket_news) is exempt from the per-number hourly limit (policy.py). Instead:
- a number's first news goes at once; news due within `sms_merge_window_s` of the last SMS of news to that
  number waits for the window to pass, and then everything due to the number by then goes as one SMS;
- the merging happens in the sender's claim transaction (`claim_news`): the merged SMS is inserted, claimed, and
  each original marked as part of it (`merged_into`, status `sending`, no lease, so it is never claimed itself)
  together, so a crash before the commit leaves the originals queued and after it leaves one SMS to send (and
  to reconcile by its text, like any other). Each original then follows the merged SMS's status
  (service.advance);
- a merged SMS names each ticket number with its news: news of one shape (the same template and values but the
  number) is said once, with the numbers listed (`您的报修已受理，工单号A、B、C，…`). It stays within
  `sms_merge_max_segments`; news that does not fit waits for the next window, oldest first;
- news once handed to the provider (a retry, a reconciliation) keeps its own text: only never-attempted messages
  are merged, so nothing is said twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.messages.models import SmsMessage, SmsStatusChange
from notifications.messages.segments import count_segments, encoding_of
from notifications.messages.service import MERGED_TEMPLATE

# pg_try_advisory_xact_lock(class, key): this class's keys are hashes of a number's ciphertext. One sender at a
# time decides about a number, so two senders never send it news within a window.
LOCK_CLASS = 0x534D53  # "SMS"
NUMBER_SLOT = "\0"
SENTENCE_ENDS = tuple("。！？；!?;.")
LIST_SEPARATOR = "、"
MAX_PARTS = 50  # news considered per merged SMS (at 5 segments, about 20 numbers fit anyway)


@dataclass(frozen=True)
class News:
    ticket_number: str | None
    body: str  # as queued: signature first


def _text(news: News, signature: str) -> tuple[str, str | None]:
    """The news without the signature, and its shape: the text with its ticket number made a slot (None: the
    news names no ticket and is said on its own). A template that leaves the number out gets it in front."""
    text = news.body.removeprefix(signature)
    number = news.ticket_number
    if not number:
        return text, None
    if number not in text:
        text = f"工单{number}：{text}"
    return text, text.replace(number, NUMBER_SLOT, 1)


def compose(news: list[News], signature: str) -> str:
    """One SMS saying all of `news`: the signature once, news of one shape once with its ticket numbers listed,
    in the order each shape first came."""
    said: dict[str, list[str]] = {}  # shape -> ticket numbers, insertion-ordered
    for item in news:
        text, shape = _text(item, signature)
        number = item.ticket_number
        if shape is None or number is None:  # (a news item with a shape names its ticket)
            said.setdefault(text, [])
            continue
        numbers = said.setdefault(shape, [])
        if number not in numbers:
            numbers.append(number)
    sentences = [shape.replace(NUMBER_SLOT, LIST_SEPARATOR.join(numbers)) for shape, numbers in said.items()]
    joined = ""
    for sentence in sentences:
        if joined and not joined.endswith(SENTENCE_ENDS):
            joined += "；"
        joined += sentence
    return signature + joined


def fitting(news: list[News], signature: str, max_segments: int) -> int:
    """How many of `news`, oldest first, one SMS of at most `max_segments` says (at least one: a single long
    message goes as it is, as it would have unmerged)."""
    fit = 1
    for n in range(2, len(news) + 1):
        if count_segments(compose(news[:n], signature)) > max_segments:
            break
        fit = n
    return fit


async def claim_news(
    session: AsyncSession,
    due: list[SmsMessage],
    now: datetime,
    *,
    window: timedelta,
    signature: str,
    max_segments: int,
) -> list[SmsMessage]:
    """Of `due` (never-attempted ticket news, locked by the caller's claim), what to send now: per number, one
    message or a merged SMS (inserted here; the caller claims it like any other). Nothing for a number another
    sender has, or whose last news went out less than a window ago (its news then waits for the window).
    A handful of statements for all the claim's numbers, not a handful per number."""
    first_of: dict[str, SmsMessage] = {}
    for message in due:
        first_of.setdefault(message.recipient, message)
    locks = await session.execute(
        select(
            SmsMessage.recipient, func.pg_try_advisory_xact_lock(LOCK_CLASS, func.hashtext(SmsMessage.recipient))
        ).where(SmsMessage.id.in_([m.id for m in first_of.values()]))
    )
    mine = {number for number, locked in locks.all() if locked}
    last_sent = await _last_news_sent(session, sorted(mine), now)
    free: set[str] = set()
    for message in due:
        if message.recipient not in mine:
            continue  # another sender is deciding about this number; its rows stay as they are
        last = last_sent.get(message.recipient)
        if last is not None and last + window > now:
            _hold(session, message, last + window, now)
        else:
            free.add(message.recipient)
    if not free:
        return []
    rows = await session.execute(
        select(SmsMessage)
        .where(
            SmsMessage.recipient.in_(sorted(free)),
            SmsMessage.ticket_news.is_(True),
            SmsMessage.status == "queued",
            SmsMessage.attempts == 0,
            SmsMessage.merged_into.is_(None),
            SmsMessage.next_attempt_at <= now + window,
        )
        .order_by(SmsMessage.created_at)
        .with_for_update(skip_locked=True)
    )
    pending: dict[str, list[SmsMessage]] = {}
    for message in rows.scalars():
        pending.setdefault(message.recipient, []).append(message)
    outgoing: list[SmsMessage] = []
    for number in sorted(free):
        outgoing.append(
            await _one_sms(session, pending.get(number) or [first_of[number]], now, window, signature, max_segments)
        )
    return outgoing


async def _one_sms(
    session: AsyncSession,
    pending: list[SmsMessage],
    now: datetime,
    window: timedelta,
    signature: str,
    max_segments: int,
) -> SmsMessage:
    """The SMS to send one number now: its oldest news alone, or as much of its news merged as fits."""
    pending = pending[:MAX_PARTS]
    news = [News(m.ticket_number, m.body) for m in pending]
    fit = fitting(news, signature, max_segments)
    for message in pending[fit:]:  # the next window's
        _hold(session, message, now + window, now)
    if fit == 1:
        return pending[0]
    body = compose(news[:fit], signature)
    merged = SmsMessage(
        id=uuid4(),
        recipient=pending[0].recipient,
        body=body,
        template=MERGED_TEMPLATE,
        ticket_news=True,
        status="queued",
        segments=count_segments(body),
        encoding=encoding_of(body),
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(merged)
    session.add(SmsStatusChange(message_id=merged.id, status="queued", source="sender", detail=f"{fit} merged", at=now))
    await session.flush()  # the merged row exists before its parts point at it
    for part in pending[:fit]:
        part.merged_into = merged.id
        part.status = "sending"
        part.lease_until = None  # the merged SMS holds the lease; a part is never claimed on its own
        part.updated_at = now
        session.add(
            SmsStatusChange(message_id=part.id, status="sending", source="sender", detail=f"in {merged.id}", at=now)
        )
    return merged


async def _last_news_sent(session: AsyncSession, numbers: list[str], now: datetime) -> dict[str, datetime]:
    """Per number: when ticket news last went to it as an SMS (handed to the provider, or being handed)."""
    if not numbers:
        return {}
    handed = func.coalesce(SmsMessage.sent_at, SmsMessage.updated_at)
    rows = await session.execute(
        select(SmsMessage.recipient, func.max(handed))
        .where(
            SmsMessage.recipient.in_(numbers),
            SmsMessage.ticket_news.is_(True),
            SmsMessage.merged_into.is_(None),
            SmsMessage.created_at > now - timedelta(hours=1),
            or_(SmsMessage.status == "sending", SmsMessage.sent_at.is_not(None)),
        )
        .group_by(SmsMessage.recipient)
    )
    return dict(rows.all())


def _hold(session: AsyncSession, message: SmsMessage, until: datetime, now: datetime) -> None:
    if message.next_attempt_at >= until:
        return
    message.next_attempt_at = until
    message.updated_at = now
    session.add(SmsStatusChange(message_id=message.id, status="queued", source="sender", detail="merge window", at=now))
