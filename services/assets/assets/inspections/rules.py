"""The pure rules of inspections (巡检): which days a plan runs, when a round is due, whether a reading is
normal, and whether a reading is of its item's type. No database, no clock: table-tested in tests/unit."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# Rounds and days follow the bureau's clock (SPEC §2a, issue 16).
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Frequency(StrEnum):
    DAILY = "daily"  # what the contract asks (每天开展定期巡检)
    WEEKLY = "weekly"  # on `weekday` (1 Monday … 7 Sunday)
    MONTHLY = "monthly"  # on `month_day`; a month without that day (31st, 30th, 29 February) its last day


class ItemKind(StrEnum):
    CHECK = "check"  # yes/no: yes is normal (alarm lamps off, backup job succeeded, disks healthy)
    READING = "reading"  # a number with its normal range and unit (machine-room temperature 18–27 °C)


class RoundStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    MISSED = "missed"


@dataclass(frozen=True)
class Schedule:
    frequency: Frequency
    weekday: int | None = None
    month_day: int | None = None


def runs_on(schedule: Schedule, day: date) -> bool:
    """Whether a plan of this schedule has a round on `day`."""
    if schedule.frequency == Frequency.DAILY:
        return True
    if schedule.frequency == Frequency.WEEKLY:
        return day.isoweekday() == schedule.weekday
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(schedule.month_day or 1, last)


def days_to_generate(schedule: Schedule, after: date | None, starts_on: date, today: date) -> list[date]:
    """The days whose rounds are still to be made: from the day after the last one made (or the plan's first
    day) through today, those the plan runs on. A worker that was down makes the days it missed."""
    first = max(starts_on, after + timedelta(days=1)) if after else starts_on
    days = []
    day = first
    while day <= today:
        if runs_on(schedule, day):
            days.append(day)
        day += timedelta(days=1)
    return days


def due_at(day: date, due_time: time | None) -> datetime:
    """A round's deadline: the plan's hour on its day, else the end of the day (the next midnight), Shanghai."""
    if due_time is not None:
        return datetime.combine(day, due_time, tzinfo=SHANGHAI)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def local_day(at: datetime) -> date:
    return at.astimezone(SHANGHAI).date()


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def in_range(value: float, low: float | None, high: float | None) -> bool:
    """A reading within its normal range, bounds included; a missing bound does not limit."""
    return (low is None or value >= low) and (high is None or value <= high)


def type_error(kind: ItemKind, value: object) -> str | None:
    """Why `value` is not a result of an item of this kind, or None when it is."""
    if kind == ItemKind.CHECK:
        return None if isinstance(value, bool) else "a yes/no check takes true or false"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "a reading takes a number"
    if value != value or value in (float("inf"), float("-inf")):
        return "a reading takes a finite number"
    return None


def abnormal(kind: ItemKind, value: bool | float, low: float | None, high: float | None) -> bool:
    """An abnormal result by itself: a check answered no, a reading out of its range."""
    if kind == ItemKind.CHECK:
        return value is False
    return not in_range(float(value), low, high)
