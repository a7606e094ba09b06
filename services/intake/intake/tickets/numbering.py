"""Ticket numbers: `YYYYMMDD-NNNN`, by the Asia/Shanghai day, unique and sortable.

One row per day incremented with an upsert: concurrent creators serialise on that row only, so numbers
never collide and never need a retry. The upsert is part of the statement that files the ticket
(`tickets/filing.py`, which formats the number in SQL exactly as `format_ticket_number` does).
"""

from datetime import date
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def format_ticket_number(day: date, seq: int) -> str:
    """`20261125-0042`; past 9,999 in a day the sequence simply grows a digit."""
    return f"{day:%Y%m%d}-{seq:04d}"
