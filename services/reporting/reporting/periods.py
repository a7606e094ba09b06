"""Report periods in the bureau's time (Asia/Shanghai): days, ISO weeks, quarters and contract years.

Every figure is counted by the local day a ticket was created on, so a period is a range of local days.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opsdesk_shared.errors import RuleViolation

LOCAL = ZoneInfo("Asia/Shanghai")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    label: str
    first_day: date
    last_day: date  # inclusive

    @property
    def starts_at(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def ends_at(self) -> datetime:
        return local_midnight(self.last_day + timedelta(days=1))

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range((self.last_day - self.first_day).days + 1)]

    def split_months(self) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
        """The whole calendar months inside the period (first and last month, as their first days) and the
        day ranges left over at either end."""
        first_month = self.first_day if self.first_day.day == 1 else _next_month(self.first_day)
        after_last = (
            _next_month(self.last_day) if _next_month(self.last_day) - timedelta(days=1) == self.last_day else None
        )
        end_month = after_last or self.last_day.replace(day=1)  # first day after the whole months
        if first_month >= end_month:
            return None, [(self.first_day, self.last_day)]
        edges = []
        if self.first_day < first_month:
            edges.append((self.first_day, first_month - timedelta(days=1)))
        if end_month <= self.last_day:
            edges.append((end_month, self.last_day))
        last_month = (end_month - timedelta(days=1)).replace(day=1)
        return (first_month, last_month), edges


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL).astimezone(UTC)


def local_day(at: datetime) -> date:
    return at.astimezone(LOCAL).date()


def local_text(at: datetime | None) -> str:
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if at else ""


def iso_week(text: str, field: str = "week") -> Period:
    match = _WEEK.match(text)
    try:
        if not match:
            raise ValueError
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise RuleViolation(
            f"{field}: expected an ISO week such as 2026-W48", field=field, code="period.bad_week"
        ) from None
    return Period(text, monday, monday + timedelta(days=6))


def week_of(day: date) -> Period:
    year, week, _ = day.isocalendar()
    return iso_week(f"{year}-W{week:02d}")


def quarter(text: str, field: str = "quarter") -> Period:
    match = _QUARTER.match(text)
    if not match:
        raise RuleViolation(f"{field}: expected a quarter such as 2026Q4", field=field, code="period.bad_quarter")
    year, q = int(match[1]), int(match[2])
    first = date(year, 3 * q - 2, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return Period(text, first, after - timedelta(days=1))


def month(text: str, field: str = "month") -> Period:
    match = _MONTH.match(text)
    if not match:
        raise RuleViolation(f"{field}: expected a month such as 2026-11", field=field, code="period.bad_month")
    first = date(int(match[1]), int(match[2]), 1)
    return Period(text, first, _next_month(first) - timedelta(days=1))


def contract_year(year: int, start: date) -> Period:
    first = start.replace(year=year)
    last = start.replace(year=year + 1) - timedelta(days=1)
    return Period(f"{first.isoformat()} – {last.isoformat()}", first, last)


# The days a period may name (year 1 or 9999 have no instants on both sides of Asia/Shanghai's midnight).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


def day_range(first: date | None, last: date | None, *, default_days: int = 30) -> Period:
    """`from`/`to` as given (both inclusive); missing ends default to the last `default_days` up to today."""
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST <= day <= LATEST:  # its instants would be out of range
            raise RuleViolation(
                f"{name}: a day between {EARLIEST} and {LATEST}", field=name, code="period.out_of_range"
            )
    today = local_day(datetime.now(UTC))
    last = last or (today if first is None else max(first, today))
    first = first or last - timedelta(days=default_days - 1)
    if first > last:
        raise RuleViolation("from: must not be after to", field="from", code="period.from_after_to")
    if (last - first).days > 3660:
        raise RuleViolation("to: a period spans at most ten years", field="to", code="query.period_too_long")
    return Period(f"{first.isoformat()} – {last.isoformat()}", first, last)
