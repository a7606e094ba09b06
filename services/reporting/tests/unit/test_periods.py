"""Report periods in the bureau's time: ISO weeks, quarters, contract years and day ranges, table-driven,
and the split of any period into whole months and edge days as a property."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsdesk_shared.errors import RuleViolation
from reporting import periods


@pytest.mark.parametrize(
    ("week", "monday", "sunday"),
    [
        ("2026-W48", date(2026, 11, 23), date(2026, 11, 29)),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4)),  # week 1 starts in the year before
        ("2020-W53", date(2020, 12, 28), date(2021, 1, 3)),  # a 53-week year
    ],
)
def test_iso_weeks(week: str, monday: date, sunday: date) -> None:
    period = periods.iso_week(week)
    assert (period.first_day, period.last_day, period.label) == (monday, sunday, week)
    assert periods.week_of(monday + timedelta(days=3)) == period


@pytest.mark.parametrize("week", ["2021-W53", "2026-W00", "2026W48", "2026-W4", "", "2026-W48 "])
def test_what_is_not_an_iso_week_is_refused_naming_the_field(week: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        periods.iso_week(week)
    assert refused.value.extensions["field"] == "week"


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ],
)
def test_quarters(text: str, first: date, last: date) -> None:
    assert (periods.quarter(text).first_day, periods.quarter(text).last_day) == (first, last)


@pytest.mark.parametrize("text", ["2026Q0", "2026Q5", "2026-Q4", "Q4"])
def test_what_is_not_a_quarter_is_refused(text: str) -> None:
    with pytest.raises(RuleViolation):
        periods.quarter(text)


def test_a_contract_year_runs_from_its_start_to_the_day_before_a_year_later() -> None:
    year = periods.contract_year(2026, date(2000, 7, 1))
    assert (year.first_day, year.last_day) == (date(2026, 7, 1), date(2027, 6, 30))


def test_local_days_are_shanghai_days() -> None:
    assert periods.local_midnight(date(2026, 12, 7)) == datetime(2026, 12, 6, 16, 0, tzinfo=UTC)
    assert periods.local_day(datetime(2026, 12, 6, 16, 0, tzinfo=UTC)) == date(2026, 12, 7)
    assert periods.local_day(datetime(2026, 12, 6, 15, 59, tzinfo=UTC)) == date(2026, 12, 6)


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [(date(2026, 12, 8), date(2026, 12, 7), "from"), (date(2000, 1, 1), date(2026, 1, 1), "to")],
)
def test_a_day_range_backwards_or_over_ten_years_is_refused(first: date, last: date, field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        periods.day_range(first, last)
    assert refused.value.extensions["field"] == field


@given(
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    length=st.integers(min_value=0, max_value=800),
)
def test_whole_months_and_edges_cover_every_day_of_a_period_once(first: date, length: int) -> None:
    period = periods.Period("p", first, first + timedelta(days=length))
    months, edges = period.split_months()
    covered: list[date] = []
    if months is not None:
        month = months[0]
        while month <= months[1]:
            assert month.day == 1
            after = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
            covered += [month + timedelta(days=i) for i in range((after - month).days)]
            month = after
    for start, end in edges:
        covered += [start + timedelta(days=i) for i in range((end - start).days + 1)]
    assert sorted(covered) == period.days()


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(1, 1, 1), date(1, 1, 5), "from"),
        (None, date(1, 1, 5), "to"),  # its default start would be before year 1
        (date(9999, 12, 25), date(9999, 12, 31), "from"),
        (date(2026, 12, 1), date(3000, 1, 1), "to"),
    ],
)
def test_a_day_range_beyond_the_days_reports_cover_is_refused_naming_the_field(
    first: date | None, last: date, field: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        periods.day_range(first, last)
    assert (refused.value.extensions["field"], refused.value.code) == (field, "period.out_of_range")
