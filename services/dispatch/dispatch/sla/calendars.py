"""The calendars SLA clocks count in (SPEC §5).

`24x7` counts every second. `workdays` counts 09:00–18:00 Asia/Shanghai on Chinese statutory working
days: weekdays that are not public holidays, plus the make-up Saturdays and Sundays (调休). Which day is
which comes from, in order: an admin's override, `chinese-calendar` (which knows the years the State
Council has announced), and for a year nobody has announced yet, Monday to Friday.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORK_STARTS = time(9, 0)
WORK_ENDS = time(18, 0)


class Calendar(Protocol):
    name: str

    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant at which `seconds` of counted time have passed since `start`."""

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Counted seconds in [start, end); 0 if end is not after start."""


class TwentyFourSeven:
    name = "24x7"

    def add(self, start: datetime, seconds: int) -> datetime:
        return start + timedelta(seconds=seconds)

    def seconds_between(self, start: datetime, end: datetime) -> int:
        return max(0, int((end - start).total_seconds()))


def statutory_day(day: date) -> tuple[bool, str]:
    """(is it a working day, where that came from): `statutory`, or `weekday_fallback` for a year the
    holiday table does not cover yet."""
    try:
        return bool(chinese_calendar.is_workday(day)), "statutory"
    except NotImplementedError:
        return day.weekday() < 5, "weekday_fallback"


def statutory_workday(day: date) -> bool:
    return statutory_day(day)[0]


@dataclass
class Workdays:
    overrides: Mapping[date, bool] = field(default_factory=dict)
    name: str = "workdays"

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return statutory_workday(day)

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        if not self.is_workday(day):
            return None
        return (
            datetime.combine(day, WORK_STARTS, SHANGHAI).astimezone(UTC),
            datetime.combine(day, WORK_ENDS, SHANGHAI).astimezone(UTC),
        )

    def add(self, start: datetime, seconds: int) -> datetime:
        remaining = seconds
        day = start.astimezone(SHANGHAI).date()
        cursor = start
        while True:
            window = self._window(day)
            if window is not None and cursor < window[1]:
                begin = max(cursor, window[0])
                available = int((window[1] - begin).total_seconds())
                if remaining <= available:
                    return begin + timedelta(seconds=remaining)
                remaining -= available
            day += timedelta(days=1)

    def seconds_between(self, start: datetime, end: datetime) -> int:
        if end <= start:
            return 0
        total = 0
        day = start.astimezone(SHANGHAI).date()
        last = end.astimezone(SHANGHAI).date()
        while day <= last:
            window = self._window(day)
            if window is not None:
                overlap = (min(end, window[1]) - max(start, window[0])).total_seconds()
                total += max(0, int(overlap))
            day += timedelta(days=1)
        return total


CALENDAR_NAMES = ("24x7", "workdays")


def calendar_for(name: str, overrides: Mapping[date, bool] | None = None) -> Calendar:
    if name == "workdays":
        return Workdays(overrides or {})
    if name == "24x7":
        return TwentyFourSeven()
    raise ValueError(f"unknown calendar {name!r}")
