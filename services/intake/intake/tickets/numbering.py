"""Ticket numbers: `YYYYMMDD-NNNN`, by the Asia/Shanghai day, unique and sortable.

One row per day incremented with an upsert: concurrent creators serialise on that row only, so numbers
never collide and never need a retry.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

SHANGHAI = ZoneInfo("Asia/Shanghai")

_NEXT = text(
    "INSERT INTO ticket_number_counter (day, last) VALUES (:day, 1) "
    "ON CONFLICT (day) DO UPDATE SET last = ticket_number_counter.last + 1 RETURNING last"
)


def format_ticket_number(day: date, seq: int) -> str:
    """`20261125-0042`; past 9,999 in a day the sequence simply grows a digit."""
    return f"{day:%Y%m%d}-{seq:04d}"


async def next_ticket_number(session: AsyncSession, now: datetime) -> str:
    day = now.astimezone(SHANGHAI).date()
    seq = (await session.execute(_NEXT, {"day": day})).scalar_one()
    return format_ticket_number(day, seq)
