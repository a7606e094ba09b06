"""The pure rules of inspections, table by table: in range, a round's deadline, which days a plan runs."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from assets.inspections.rules import (
    SHANGHAI,
    Frequency,
    ItemKind,
    Schedule,
    abnormal,
    days_to_generate,
    due_at,
    in_range,
    local_day,
    runs_on,
    type_error,
)
from assets.inspections.service import first_day


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        (22.5, 18, 27, True),
        (18, 18, 27, True),  # bounds are normal
        (27, 18, 27, True),
        (17.9, 18, 27, False),
        (27.1, 18, 27, False),
        (95, None, 80, False),  # UPS load above its ceiling
        (5, None, 80, True),
        (-3, 0, None, False),
        (1e9, None, None, True),  # no range: any number
    ],
)
def test_in_range(value: float, low: float | None, high: float | None, expected: bool) -> None:
    assert in_range(value, low, high) is expected


@pytest.mark.parametrize(
    ("kind", "value", "low", "high", "expected"),
    [
        (ItemKind.CHECK, True, None, None, False),
        (ItemKind.CHECK, False, None, None, True),  # alarm lamp on, backup failed: abnormal
        (ItemKind.READING, 28.0, 18, 27, True),
        (ItemKind.READING, 45.0, 30, 60, False),
    ],
)
def test_abnormal(kind: ItemKind, value: bool | float, low: float | None, high: float | None, expected: bool) -> None:
    assert abnormal(kind, value, low, high) is expected


@pytest.mark.parametrize(
    ("kind", "value", "refused"),
    [
        (ItemKind.CHECK, True, False),
        (ItemKind.CHECK, "yes", True),
        (ItemKind.CHECK, 1, True),
        (ItemKind.READING, 21, False),
        (ItemKind.READING, 21.5, False),
        (ItemKind.READING, "21", True),
        (ItemKind.READING, True, True),  # a bool is not a number here
        (ItemKind.READING, None, True),
        (ItemKind.READING, float("nan"), True),
        (ItemKind.READING, float("inf"), True),
    ],
)
def test_type_error(kind: ItemKind, value: object, refused: bool) -> None:
    assert (type_error(kind, value) is not None) is refused


@pytest.mark.parametrize(
    ("day", "due_time", "expected"),
    [
        # By the end of the day: the next midnight in Shanghai, 16:00 UTC.
        (date(2026, 12, 7), None, datetime(2026, 12, 7, 16, 0, tzinfo=UTC)),
        # The morning machine-room round: 10:00 Shanghai, 02:00 UTC.
        (date(2026, 12, 7), time(10, 0), datetime(2026, 12, 7, 2, 0, tzinfo=UTC)),
        (date(2026, 12, 31), None, datetime(2026, 12, 31, 16, 0, tzinfo=UTC)),
        (date(2027, 1, 1), time(0, 30), datetime(2026, 12, 31, 16, 30, tzinfo=UTC)),
    ],
)
def test_due_at(day: date, due_time: time | None, expected: datetime) -> None:
    assert due_at(day, due_time) == expected


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 12, 7, 15, 59, tzinfo=UTC), date(2026, 12, 7)),
        (datetime(2026, 12, 7, 16, 0, tzinfo=UTC), date(2026, 12, 8)),  # midnight in Shanghai
    ],
)
def test_local_day(at: datetime, expected: date) -> None:
    assert local_day(at) == expected and at.astimezone(SHANGHAI).date() == expected


@pytest.mark.parametrize(
    ("schedule", "day", "expected"),
    [
        (Schedule(Frequency.DAILY), date(2026, 12, 6), True),
        (Schedule(Frequency.WEEKLY, weekday=1), date(2026, 12, 7), True),  # a Monday
        (Schedule(Frequency.WEEKLY, weekday=1), date(2026, 12, 8), False),
        (Schedule(Frequency.WEEKLY, weekday=7), date(2026, 12, 13), True),  # a Sunday
        (Schedule(Frequency.MONTHLY, month_day=15), date(2026, 12, 15), True),
        (Schedule(Frequency.MONTHLY, month_day=15), date(2026, 12, 16), False),
        (Schedule(Frequency.MONTHLY, month_day=31), date(2026, 11, 30), True),  # no 31 November: its last day
        (Schedule(Frequency.MONTHLY, month_day=31), date(2026, 11, 29), False),
        (Schedule(Frequency.MONTHLY, month_day=30), date(2027, 2, 28), True),
        (Schedule(Frequency.MONTHLY, month_day=29), date(2028, 2, 29), True),  # a leap year
        (Schedule(Frequency.MONTHLY, month_day=29), date(2028, 2, 28), False),
        (Schedule(Frequency.MONTHLY, month_day=31), date(2026, 12, 31), True),
    ],
)
def test_runs_on(schedule: Schedule, day: date, expected: bool) -> None:
    assert runs_on(schedule, day) is expected


MONDAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("schedule", "after", "starts_on", "today", "expected"),
    [
        (Schedule(Frequency.DAILY), None, MONDAY, MONDAY, [MONDAY]),
        (Schedule(Frequency.DAILY), MONDAY, MONDAY, MONDAY, []),  # made already: nothing twice
        # A worker down over the weekend makes Saturday's, Sunday's and Monday's rounds when it returns.
        (Schedule(Frequency.DAILY), MONDAY - timedelta(days=3), MONDAY - timedelta(days=30), MONDAY,
         [MONDAY - timedelta(days=2), MONDAY - timedelta(days=1), MONDAY]),
        (Schedule(Frequency.WEEKLY, weekday=3), None, MONDAY, MONDAY + timedelta(days=9),
         [date(2026, 12, 9), date(2026, 12, 16)]),
        (Schedule(Frequency.WEEKLY, weekday=3), None, MONDAY + timedelta(days=3), MONDAY + timedelta(days=8), []),
        (Schedule(Frequency.MONTHLY, month_day=1), None, date(2026, 11, 15), date(2027, 1, 1),
         [date(2026, 12, 1), date(2027, 1, 1)]),
        (Schedule(Frequency.DAILY), None, MONDAY + timedelta(days=1), MONDAY, []),  # not started yet
    ],
)  # fmt: skip
def test_days_to_generate(
    schedule: Schedule, after: date | None, starts_on: date, today: date, expected: list[date]
) -> None:
    assert days_to_generate(schedule, after, starts_on, today) == expected


@pytest.mark.parametrize(
    ("at", "due_time", "expected"),
    [
        # 09:00 Shanghai: the 10:00 round of today can still be walked, so the plan starts today.
        (datetime(2026, 12, 7, 1, 0, tzinfo=UTC), time(10, 0), MONDAY),
        # 11:00 Shanghai: today's 10:00 has passed; the plan starts tomorrow rather than with a missed round.
        (datetime(2026, 12, 7, 3, 0, tzinfo=UTC), time(10, 0), MONDAY + timedelta(days=1)),
        (datetime(2026, 12, 7, 15, 0, tzinfo=UTC), None, MONDAY),  # 23:00: due by midnight, still today
    ],
)
def test_a_new_plan_starts_today_unless_its_hour_passed(at: datetime, due_time: time | None, expected: date) -> None:
    assert first_day(local_day(at), due_time, at) == expected
