"""Report periods in the bureau's time (Asia/Shanghai): days, ISO weeks, quarters and contract years.

Every figure is counted by the local day a ticket was created on, so a period is a range of local days.
"""

import re
from datetime import UTC, date, datetime, timedelta

# The period and the local-time helpers live with the document model in shared (assets' stock report is a
# document too); reporting's code and tests keep naming them from here.
from opsdesk_shared.documents.periods import EARLIEST, LATEST, next_month
from opsdesk_shared.documents.periods import LOCAL as LOCAL
from opsdesk_shared.documents.periods import Period as Period
from opsdesk_shared.documents.periods import local_day as local_day
from opsdesk_shared.documents.periods import local_midnight as local_midnight
from opsdesk_shared.documents.periods import local_text as local_text
from opsdesk_shared.errors import RuleViolation

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


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
    return Period(text, first, next_month(first) - timedelta(days=1))


def contract_year(year: int, start: date) -> Period:
    first = start.replace(year=year)
    last = start.replace(year=year + 1) - timedelta(days=1)
    return Period(f"{first.isoformat()} – {last.isoformat()}", first, last)


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
