"""The pure rules of training sign-in and visit plans, as tables: when a session takes sign-ins, who may rate
it, which files are materials; the periods a visit plan owes visits in, which units it covers, and where a
visit stands on a given day."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from assets.training.rules import (
    SessionState,
    SignInRefusal,
    Window,
    material_type,
    may_give_feedback,
    sign_in_refusal,
    state,
)
from assets.visits.rules import (
    Period,
    Standing,
    UnitNode,
    VisitStatus,
    covered,
    standing,
    window_of,
    windows_due,
)
from assets.visits.rules import Window as Due

pytestmark = pytest.mark.unit

START = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 Shanghai
END = START + timedelta(hours=2)
SESSION = Window(START, END)


@pytest.mark.parametrize(
    ("at", "expected_state", "refusal"),
    [
        (START - timedelta(days=1), SessionState.SCHEDULED, SignInRefusal.NOT_OPEN),
        (START - timedelta(hours=1, seconds=1), SessionState.SCHEDULED, SignInRefusal.NOT_OPEN),
        (START - timedelta(hours=1), SessionState.OPEN, None),  # the room fills before the start
        (START, SessionState.OPEN, None),
        (END - timedelta(seconds=1), SessionState.OPEN, None),
        (END, SessionState.ENDED, SignInRefusal.ENDED),  # the end is the end
        (END + timedelta(days=3), SessionState.ENDED, SignInRefusal.ENDED),
    ],
)
def test_sign_in_is_taken_from_an_hour_before_the_start_until_the_end(
    at: datetime, expected_state: SessionState, refusal: SignInRefusal | None
) -> None:
    assert state(SESSION, at) == expected_state
    assert sign_in_refusal(SESSION, at) == refusal


def test_a_cancelled_session_takes_no_sign_in_at_any_time() -> None:
    cancelled = Window(START, END, cancelled=True)
    for at in (START - timedelta(days=1), START, END + timedelta(hours=1)):
        assert sign_in_refusal(cancelled, at) == SignInRefusal.CANCELLED


@pytest.mark.parametrize(
    ("window", "at", "signed_in", "may"),
    [
        (SESSION, START + timedelta(minutes=30), True, True),
        (SESSION, END + timedelta(days=7), True, True),  # rated afterwards, back at the desk
        (SESSION, START - timedelta(minutes=10), True, False),  # signed in early, not begun yet
        (SESSION, START + timedelta(minutes=30), False, False),  # never came
        (Window(START, END, cancelled=True), END, True, False),
    ],
)
def test_who_may_rate_a_session(window: Window, at: datetime, signed_in: bool, may: bool) -> None:
    assert may_give_feedback(window, at, signed_in) is may


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [
        ("操作手册.PDF", "application/pdf"),
        ("slides.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
        ("photo.jpeg", "image/jpeg"),
        ("setup.exe", None),
        ("page.html", None),  # would run in the browser of whoever opens it
        ("noextension", None),
    ],
)
def test_which_files_are_materials(filename: str, content_type: str | None) -> None:
    assert material_type(filename) == content_type


@pytest.mark.parametrize(
    ("period", "day", "first", "last", "label"),
    [
        (Period.QUARTER, date(2026, 12, 7), date(2026, 10, 1), date(2026, 12, 31), "2026Q4"),
        (Period.QUARTER, date(2027, 1, 1), date(2027, 1, 1), date(2027, 3, 31), "2027Q1"),
        (Period.QUARTER, date(2026, 6, 30), date(2026, 4, 1), date(2026, 6, 30), "2026Q2"),
        (Period.YEAR, date(2026, 12, 7), date(2026, 1, 1), date(2026, 12, 31), "2026"),
        (Period.HALF_YEAR, date(2026, 7, 1), date(2026, 7, 1), date(2026, 12, 31), "2026H2"),
        (Period.MONTH, date(2028, 2, 10), date(2028, 2, 1), date(2028, 2, 29), "2028-02"),
    ],
)
def test_the_window_a_day_falls_in(period: Period, day: date, first: date, last: date, label: str) -> None:
    window = window_of(period, day)
    assert (window.first, window.last, window.label) == (first, last, label)


@pytest.mark.parametrize(
    ("period", "starts_on", "today", "labels"),
    [
        (Period.QUARTER, date(2026, 11, 20), date(2026, 12, 7), ["2026Q4"]),  # made mid-quarter: owes this one
        (Period.QUARTER, date(2026, 5, 29), date(2026, 12, 7), ["2026Q2", "2026Q3", "2026Q4"]),
        (Period.YEAR, date(2026, 5, 29), date(2027, 1, 2), ["2026", "2027"]),
        (Period.QUARTER, date(2027, 1, 1), date(2026, 12, 7), []),  # starts next year: owes nothing yet
    ],
)
def test_the_periods_a_plan_owes_visits_in(period: Period, starts_on: date, today: date, labels: list[str]) -> None:
    assert [w.label for w in windows_due(period, starts_on, today)] == labels


Q4 = Due(date(2026, 10, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("status", "today", "expected"),
    [
        (VisitStatus.PLANNED, date(2026, 9, 30), Standing.NOT_YET_DUE),
        (VisitStatus.PLANNED, date(2026, 10, 1), Standing.DUE),
        (VisitStatus.PLANNED, date(2026, 12, 31), Standing.DUE),
        (VisitStatus.PLANNED, date(2027, 1, 1), Standing.OVERDUE),
        (VisitStatus.DONE, date(2027, 1, 1), Standing.DONE),
        (VisitStatus.CANCELLED, date(2026, 11, 1), Standing.CANCELLED),
    ],
)
def test_where_a_visit_stands(status: VisitStatus, today: date, expected: Standing) -> None:
    assert standing(status, Q4, today) == expected


def test_which_units_a_plan_covers() -> None:
    bureau, north, south = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    station_n, station_s = uuid.uuid4(), uuid.uuid4()
    units = [
        UnitNode(bureau, "bureau", (bureau,)),
        UnitNode(north, "sub_bureau", (bureau, north)),
        UnitNode(south, "sub_bureau", (bureau, south)),
        UnitNode(station_n, "police_station", (bureau, north, station_n)),
        UnitNode(station_s, "police_station", (bureau, south, station_s)),
    ]
    assert covered(units, "sub_bureau", None) == [north, south]
    assert covered(units, "police_station", None) == [station_n, station_s]
    assert covered(units, "police_station", north) == [station_n]
    assert covered(units, "sub_bureau", north) == [north]  # the root itself, when of the kind
    assert covered(units, "floating_station", None) == []
