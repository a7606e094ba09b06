"""The pure rules of user visits (回访): the periods a visit plan owes a visit in, which units a plan covers,
and where a visit stands against its window. No database, no clock: table-tested in tests/unit."""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"  # e.g. every 分局 each quarter
    HALF_YEAR = "half_year"
    YEAR = "year"  # e.g. every 派出所 each year


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class Standing(StrEnum):
    """Where a visit stands on a given day (shown on lists, counted in reports)."""

    DONE = "done"
    CANCELLED = "cancelled"
    NOT_YET_DUE = "not_yet_due"  # its window has not begun
    DUE = "due"  # within its window, not yet done
    OVERDUE = "overdue"  # its window has passed without it


MONTHS = {Period.MONTH: 1, Period.QUARTER: 3, Period.HALF_YEAR: 6, Period.YEAR: 12}


@dataclass(frozen=True)
class Window:
    """The days (Asia/Shanghai) a visit is due in, both included."""

    first: date
    last: date

    @property
    def label(self) -> str:
        months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        if months == 12:
            return f"{self.first.year}"
        if months == 6:
            return f"{self.first.year}H{1 if self.first.month <= 6 else 2}"
        if months == 3:
            return f"{self.first.year}Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first:%Y-%m}"


def window_of(period: Period, day: date) -> Window:
    """The calendar period of this kind that `day` falls in (quarters and halves from January)."""
    span = MONTHS[period]
    first_month = (day.month - 1) // span * span + 1
    first = date(day.year, first_month, 1)
    next_month = first_month + span
    after = date(day.year + 1, 1, 1) if next_month > 12 else date(day.year, next_month, 1)
    return Window(first, after - timedelta(days=1))


def windows_due(period: Period, starts_on: date, today: date) -> list[Window]:
    """The windows a plan owes visits in, from the one its first day falls in through today's: a plan
    made mid-quarter owes this quarter's visit; one made today owes nothing for past periods."""
    windows = []
    current = window_of(period, starts_on)
    while current.first <= today:
        windows.append(current)
        current = window_of(period, current.last + timedelta(days=1))
    return windows


def standing(status: VisitStatus, window: Window, today: date) -> Standing:
    if status == VisitStatus.DONE:
        return Standing.DONE
    if status == VisitStatus.CANCELLED:
        return Standing.CANCELLED
    if today < window.first:
        return Standing.NOT_YET_DUE
    if today > window.last:
        return Standing.OVERDUE
    return Standing.DUE


@dataclass(frozen=True)
class UnitNode:
    id: UUID
    kind: str
    path: tuple[UUID, ...]  # root down to the unit itself


def covered(units: list[UnitNode], unit_kind: str, root_id: UUID | None) -> list[UUID]:
    """The units a plan visits: every unit of its kind, within the root's subtree when it names one."""
    return [u.id for u in units if u.kind == unit_kind and (root_id is None or root_id in u.path)]
