"""What may be sent when (SPEC §6): opt-outs, quiet hours for non-urgent messages, and a per-recipient
rate limit. Decided when a message is queued; the sender just honours `next_attempt_at`."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.models import SmsMessage, SmsOptOut

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def opted_out(session: AsyncSession, phone: str) -> bool:
    return await session.get(SmsOptOut, phone) is not None


def after_quiet_hours(at: datetime, start: time, end: time) -> datetime:
    """`at` itself if outside quiet hours (Asia/Shanghai), else the instant they end."""
    local = at.astimezone(SHANGHAI)
    in_quiet = local.time() >= start or local.time() < end if start > end else start <= local.time() < end
    if not in_quiet:
        return at
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, SHANGHAI).astimezone(UTC)


async def rate_limited_until(session: AsyncSession, phone: str, at: datetime, per_hour: int) -> datetime | None:
    """When the recipient has had `per_hour` messages in the last hour, the instant the oldest leaves it."""
    since = at - timedelta(hours=1)
    recent = await session.execute(
        select(func.count(), func.min(SmsMessage.created_at)).where(
            SmsMessage.recipient == phone,
            SmsMessage.created_at > since,  # type: ignore[operator]
            SmsMessage.status != "suppressed",
            SmsMessage.urgent.is_(False),  # type: ignore[attr-defined]
        )
    )
    count, oldest = recent.one()
    if count < per_hour or oldest is None:
        return None
    return oldest + timedelta(hours=1)


async def opted_out_among(session: AsyncSession, phones: list[str]) -> set[str]:
    rows = await session.execute(select(SmsOptOut.phone).where(SmsOptOut.phone.in_(phones)))  # type: ignore[attr-defined]
    return set(rows.scalars())


async def recent_counts(session: AsyncSession, phones: list[str], at: datetime) -> dict[str, tuple[int, datetime]]:
    """Per recipient: non-urgent messages in the last hour, and the oldest of them. One query for a batch."""
    rows = await session.execute(
        select(SmsMessage.recipient, func.count(), func.min(SmsMessage.created_at))
        .where(
            SmsMessage.recipient.in_(phones),  # type: ignore[attr-defined]
            SmsMessage.created_at > at - timedelta(hours=1),  # type: ignore[operator]
            SmsMessage.status != "suppressed",
            SmsMessage.urgent.is_(False),  # type: ignore[attr-defined]
        )
        .group_by(SmsMessage.recipient)
    )
    return {phone: (count, oldest) for phone, count, oldest in rows.all()}
