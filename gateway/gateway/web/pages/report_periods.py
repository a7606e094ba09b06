"""The periods the reports are asked for, chosen on the dashboard and named as people say them
(`2026年第48周（11月23日至11月29日）`, or in English `Week 48 of 2026 (23 Nov – 29 Nov)`), never as a raw
query string."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

QUARTERS_OFFERED = 8
YEARS_OFFERED = 4


@dataclass(frozen=True)
class Choice:
    value: str  # what the report API takes: 2026-W48, 2026Q4, 2026
    label: str  # Chinese source text, already filled in


def week_of(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def contract_year_of(day: date) -> str:
    """A contract year is named by the year it starts in, on 29 May (SPEC §2)."""
    return str(day.year if (day.month, day.day) >= (5, 29) else day.year - 1)


def parse_week(value: str | None) -> date | None:
    """The Monday of an ISO week `2026-W48` (what `<input type=week>` sends), or None if it is not one."""
    try:
        year, week = (value or "").split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return None


def week_label(value: str, en: bool = False) -> str:
    monday = parse_week(value)
    if monday is None:
        return value
    sunday = monday + timedelta(days=6)
    iso = monday.isocalendar()
    if en:
        return f"Week {iso.week} of {iso.year} ({monday:%d %b} – {sunday:%d %b})"
    return f"{iso.year}年第{iso.week}周（{monday.month}月{monday.day}日至{sunday.month}月{sunday.day}日）"


QUARTER_NAMES = {"1": "一", "2": "二", "3": "三", "4": "四"}


def quarter_label(value: str, en: bool = False) -> str:
    year, _, number = value.partition("Q")
    if en:
        return f"Q{number} {year}"
    return f"{year}年第{QUARTER_NAMES.get(number, number)}季度"


def year_label(value: str, en: bool = False) -> str:
    start = int(value)
    if en:
        return f"Contract year {start} (29 May {start} – 28 May {start + 1})"
    return f"{start}合同年度（{start}年5月29日至{start + 1}年5月28日）"


def quarters(today: date, en: bool = False) -> list[Choice]:
    year, q = today.year, (today.month - 1) // 3 + 1
    found = []
    for _ in range(QUARTERS_OFFERED):
        found.append(Choice(f"{year}Q{q}", quarter_label(f"{year}Q{q}", en)))
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return found


def contract_years(today: date, en: bool = False) -> list[Choice]:
    latest = int(contract_year_of(today))
    return [Choice(str(y), year_label(str(y), en)) for y in range(latest, latest - YEARS_OFFERED, -1)]


def zero_filled(per_day: list[dict[str, Any]], start: date, end: date) -> list[list[Any]]:
    """Every day of the period, a day without tickets as 0, so a quiet day shows as a dip, not a gap."""
    counts = {str(d["day"]): d["tickets"] for d in per_day}
    days = [str(start + timedelta(days=i)) for i in range(max((end - start).days + 1, 0))]
    return [[day, counts.get(day, 0)] for day in days]
