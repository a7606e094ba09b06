"""Property tests for SLA calendars: adding counted time and measuring it back agree, time only moves
forward, and a `workdays` deadline always falls inside working hours of a working day."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.sla.calendars import TwentyFourSeven, Workdays

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
targets = st.integers(min_value=0, max_value=10 * 9 * 3600)  # up to ten working days


@settings(max_examples=200, deadline=None)
@given(instants, targets)
def test_workdays_add_and_measure_back_agree(start: datetime, seconds: int) -> None:
    calendar = Workdays()
    due = calendar.add(start, seconds)
    assert due >= start
    assert calendar.seconds_between(start, due) == seconds
    if seconds > 0:
        local = due.astimezone(SHANGHAI)
        assert calendar.is_workday(local.date())
        assert time(9) < local.time() <= time(18)


@settings(max_examples=200, deadline=None)
@given(instants, targets, targets)
def test_more_counted_time_never_ends_earlier(start: datetime, a: int, b: int) -> None:
    calendar = Workdays()
    assert calendar.add(start, min(a, b)) <= calendar.add(start, max(a, b))


@given(instants, st.integers(min_value=0, max_value=10**7))
def test_around_the_clock_is_plain_arithmetic(start: datetime, seconds: int) -> None:
    calendar = TwentyFourSeven()
    assert calendar.add(start, seconds) == start + timedelta(seconds=seconds)
    assert calendar.seconds_between(start, calendar.add(start, seconds)) == seconds
