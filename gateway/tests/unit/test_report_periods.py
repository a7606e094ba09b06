"""The dashboard's report periods, named as people say them, and the daily chart's quiet days as zero."""

from datetime import date

import pytest

from gateway.web.pages import report_periods as periods


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        ("2026-W10", "2026年第10周（3月2日至3月8日）", "Week 10 of 2026 (02 Mar – 08 Mar)"),
        ("2026-W53", "2026年第53周（12月28日至1月3日）", "Week 53 of 2026 (28 Dec – 03 Jan)"),
        ("2027-W01", "2027年第1周（1月4日至1月10日）", "Week 1 of 2027 (04 Jan – 10 Jan)"),
    ],
)
def test_weeks_are_named_by_their_days(value: str, zh: str, en: str) -> None:
    assert periods.week_label(value) == zh and periods.week_label(value, en=True) == en


@pytest.mark.parametrize("value", ["", "2026", "2026-W54", "W10", "2026-Wxx"])
def test_what_is_not_a_week_is_refused(value: str) -> None:
    assert periods.parse_week(value) is None


@pytest.mark.parametrize(
    ("today", "quarter", "year", "first_quarters"),
    [
        (date(2026, 12, 7), "2026Q4", "2026", ["2026Q4", "2026Q3"]),
        (date(2026, 5, 28), "2026Q2", "2025", ["2026Q2", "2026Q1", "2025Q4"]),
        (date(2026, 5, 29), "2026Q2", "2026", ["2026Q2", "2026Q1"]),
    ],
)
def test_quarters_and_contract_years_offered(today: date, quarter: str, year: str, first_quarters: list[str]) -> None:
    assert periods.quarter_of(today) == quarter and periods.contract_year_of(today) == year
    offered = [q.value for q in periods.quarters(today)]
    assert offered[: len(first_quarters)] == first_quarters and len(offered) == periods.QUARTERS_OFFERED
    assert periods.contract_years(today)[0].value == year
    assert periods.quarter_label("2026Q4") == "2026年第四季度"
    assert periods.year_label("2026") == "2026合同年度（2026年5月29日至2027年5月28日）"


def test_days_without_tickets_are_zero_not_missing() -> None:
    per_day = [{"day": "2026-12-01", "tickets": 3}, {"day": "2026-12-04", "tickets": 1}]
    assert periods.zero_filled(per_day, date(2026, 12, 1), date(2026, 12, 5)) == [
        ["2026-12-01", 3],
        ["2026-12-02", 0],
        ["2026-12-03", 0],
        ["2026-12-04", 1],
        ["2026-12-05", 0],
    ]
    assert periods.zero_filled([], date(2026, 12, 5), date(2026, 12, 4)) == []
