"""What may be sent when (SPEC §6): opt-outs, quiet hours for non-urgent messages, and a per-recipient
rate limit. Decided when a message is queued; the sender just honours `next_attempt_at`.

The hourly limit is for business SMS (a `system` client's), whose volume to one number nothing in the desk's
work bounds. Ticket news (rules.Trigger.ticket_news) neither counts nor is held by it: a number's news is
merged per window instead (merging.py), and escalations are urgent."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.inbound.models import SmsOptOut
from notifications.messages.models import SmsMessage

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Limits:
    quiet_start: time
    quiet_end: time
    per_recipient_per_hour: int


def after_quiet_hours(at: datetime, start: time, end: time) -> datetime:
    """`at` itself if outside quiet hours (Asia/Shanghai), else the instant they end."""
    local = at.astimezone(SHANGHAI)
    in_quiet = local.time() >= start or local.time() < end if start > end else start <= local.time() < end
    if not in_quiet:
        return at
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, SHANGHAI).astimezone(UTC)


async def opted_out_among(session: AsyncSession, phones: list[str]) -> set[str]:
    rows = await session.execute(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(phones)))
    return set(rows.scalars())


async def recent_counts(session: AsyncSession, phones: list[str], at: datetime) -> dict[str, tuple[int, datetime]]:
    """Per recipient: non-urgent messages under the limit in the last hour, and the oldest of them. One query for
    a batch."""
    rows = await session.execute(
        select(SmsMessage.recipient, func.count(), func.min(SmsMessage.created_at))
        .where(
            SmsMessage.recipient.in_(phones),
            SmsMessage.created_at > at - timedelta(hours=1),
            SmsMessage.status != "suppressed",
            SmsMessage.urgent.is_(False),
            SmsMessage.ticket_news.is_(False),
        )
        .group_by(SmsMessage.recipient)
    )
    return {phone: (count, oldest) for phone, count, oldest in rows.all()}


def decide(
    now: datetime, *, opted_out: bool, sent_last_hour: int, oldest_in_hour: datetime, deferrable: bool, limits: Limits
) -> tuple[str, datetime, str | None]:
    """(status, not before, why) for one non-urgent message. Over the hourly limit, the excess waits an hour
    per limit's worth of messages, counted from the oldest in the hour."""
    if opted_out:
        return "suppressed", now, "recipient opted out"
    not_before, why = now, None
    if deferrable:
        quiet_until = after_quiet_hours(now, limits.quiet_start, limits.quiet_end)
        if quiet_until > now:
            not_before, why = quiet_until, "quiet hours"
    if sent_last_hour >= limits.per_recipient_per_hour:
        windows = sent_last_hour // limits.per_recipient_per_hour
        limited = oldest_in_hour + timedelta(hours=windows)
        if limited > not_before:
            not_before, why = limited, "per-recipient rate limit"
    return "queued", not_before, why
