"""A period of days in the bureau's time (Asia/Shanghai), as a document states it, and the local-time
helpers around it. Reporting's periods (weeks, quarters, contract years) and assets' stock report both
build these; a period names local days, so its instants are local midnights."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
# The days a period may name (year 1 or 9999 have no instants on both sides of Asia/Shanghai's midnight).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)


@dataclass(frozen=True)
class Period:
    label: str  # "2026-W48", "2026Q4"; empty when the days are all there is to say
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
        first_month = self.first_day if self.first_day.day == 1 else next_month(self.first_day)
        after_last = (
            next_month(self.last_day) if next_month(self.last_day) - timedelta(days=1) == self.last_day else None
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


def next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), LOCAL).astimezone(UTC)


def local_day(at: datetime) -> date:
    return at.astimezone(LOCAL).date()


def local_text(at: datetime | None) -> str:
    return at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if at else ""
