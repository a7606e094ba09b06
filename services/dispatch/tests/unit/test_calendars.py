"""The `workdays` calendar over the 2026 National Day holiday and its make-up working days (调休), a year
the holiday table does not cover yet, and an admin's override. No servers."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.sla.calendars import TwentyFourSeven, Workdays

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_workday_arithmetic_over_the_national_day_holiday_and_a_make_up_saturday() -> None:
    workdays = Workdays()
    # Wed 30 Sep 17:00 + 2 working hours: 1 h that evening, then 1–7 Oct are holidays, so 10:00 on the 8th.
    assert workdays.add(at("2026-09-30T17:00"), 7200) == at("2026-10-08T10:00")
    # Fri 9 Oct 17:30 + 1 h: the Saturday after is a make-up working day (调休), so 09:30 on Sat 10 Oct.
    assert workdays.add(at("2026-10-09T17:30"), 3600) == at("2026-10-10T09:30")
    # Sun 20 Sep is a make-up working day too; an ordinary Sunday is not.
    assert workdays.seconds_between(at("2026-09-20T00:00"), at("2026-09-21T00:00")) == 9 * 3600
    assert workdays.seconds_between(at("2026-09-27T00:00"), at("2026-09-28T00:00")) == 0
    # A clock started out of hours begins counting at 09:00; elapsed and add agree with each other.
    start = at("2026-11-27T20:00")  # a Friday evening
    due = workdays.add(start, 4 * 3600)
    assert due == at("2026-11-30T13:00") and workdays.seconds_between(start, due) == 4 * 3600
    assert TwentyFourSeven().add(start, 3600) == start + timedelta(hours=1)


def test_an_unannounced_year_counts_weekdays_and_an_override_wins() -> None:
    assert Workdays().is_workday(date(2027, 1, 4))  # a Monday; the 2027 table is not published yet
    assert not Workdays({date(2027, 1, 4): False}).is_workday(date(2027, 1, 4))
    assert Workdays({date(2026, 10, 3): True}).is_workday(date(2026, 10, 3))
