"""An SLA clock's arithmetic (`dispatch.sla.clocks`) on clocks built in memory: when it warns and falls due,
what a pause moves, how it ends (met, breached at its true instant, cancelled), and a reopen. No servers."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from dispatch.sla import clocks
from dispatch.sla.calendars import Calendar, TwentyFourSeven, Workdays
from dispatch.sla.models import SlaClock

pytestmark = pytest.mark.unit

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai, an ordinary working week
HOUR = 3600
TICKET = UUID(int=1)
AROUND_THE_CLOCK = TwentyFourSeven()


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def clock(target_s: int = HOUR, calendar: Calendar = AROUND_THE_CLOCK, warn_ratio: float = 0.75) -> SlaClock:
    started = SlaClock(
        ticket_id=TICKET,
        policy_id=TICKET,
        metric="resolution",
        state=clocks.RUNNING,
        calendar=calendar.name,
        target_s=target_s,
        warn_ratio=warn_ratio,
        started_at=T0,
        due_at=T0,
        warn_at=T0,
    )
    clocks.schedule(started, calendar)
    return started


@pytest.mark.parametrize(
    ("target_s", "warn_ratio", "calendar", "warn_at", "due_at"),
    [
        (HOUR, 0.75, AROUND_THE_CLOCK, at(2700), at(3600)),
        (4 * HOUR, 0.5, AROUND_THE_CLOCK, at(2 * HOUR), at(4 * HOUR)),
        (0, 0.75, AROUND_THE_CLOCK, T0, T0),
        # Working hours are 09:00-18:00 Shanghai: 8 h from Monday 09:00 is Monday 17:00, 10 h is Tuesday 10:00.
        (8 * HOUR, 0.75, Workdays(), at(6 * HOUR), at(8 * HOUR)),
        (10 * HOUR, 0.5, Workdays(), at(5 * HOUR), at(25 * HOUR)),
        # An override makes Tuesday a day off: the tenth hour falls on Wednesday.
        (10 * HOUR, 0.5, Workdays({T0.date() + timedelta(days=1): False}), at(5 * HOUR), at(49 * HOUR)),
    ],
)
def test_schedule_places_the_warning_and_the_due_instant(
    target_s: int, warn_ratio: float, calendar: Calendar, warn_at: datetime, due_at: datetime
) -> None:
    scheduled = clock(target_s, calendar, warn_ratio)
    assert (scheduled.warn_at, scheduled.due_at, scheduled.next_fire_at) == (warn_at, due_at, warn_at)


@pytest.mark.parametrize(
    ("change", "next_fire"),
    [
        ({}, at(2700)),
        ({"warned_at": at(2700)}, at(3600)),
        ({"warned_at": at(2700), "breached_at": at(3600)}, None),
        ({"paused_at": at(100)}, None),
        ({"stopped_at": at(100)}, None),
    ],
)
def test_the_timer_waits_for_the_warning_then_the_breach_then_nothing(
    change: dict[str, datetime], next_fire: datetime | None
) -> None:
    subject = clock()
    for name, value in change.items():
        setattr(subject, name, value)
    assert clocks.next_fire_at(subject) == next_fire


def test_a_pause_moves_both_instants_by_its_length() -> None:
    subject = clock()
    clocks.pause(subject, at(600))
    assert (subject.state, subject.next_fire_at) == (clocks.PAUSED, None)
    assert clocks.elapsed_seconds(subject, AROUND_THE_CLOCK, at(900)) == 600
    assert clocks.paused_so_far(subject, AROUND_THE_CLOCK, at(900)) == 300
    assert clocks.resume(subject, AROUND_THE_CLOCK, at(1200)) == 600
    assert (subject.state, subject.paused_seconds, subject.paused_at) == (clocks.RUNNING, 600, None)
    assert (subject.warn_at, subject.due_at, subject.next_fire_at) == (at(3300), at(4200), at(3300))
    assert clocks.elapsed_seconds(subject, AROUND_THE_CLOCK, at(1800)) == 1200


def test_a_pause_counts_in_the_clocks_calendar() -> None:
    """Paused from Monday 17:00 to Tuesday 10:00: two working hours, not seventeen."""
    workdays = Workdays()
    subject = clock(10 * HOUR, workdays)
    clocks.pause(subject, at(8 * HOUR))
    assert clocks.resume(subject, workdays, at(25 * HOUR)) == 2 * HOUR
    assert subject.due_at == at(27 * HOUR)  # Tuesday 12:00


@pytest.mark.parametrize(
    ("stop_at", "cancel", "state", "breached_at"),
    [
        (at(3000), False, clocks.MET, None),
        (at(3600), False, clocks.MET, None),  # exactly on time is met
        (at(3601), False, clocks.BREACHED, at(3600)),  # late, no timer fired: breached at its true instant
        (at(3601), True, clocks.CANCELLED, None),
        (at(100), True, clocks.CANCELLED, None),
    ],
)
def test_how_a_clock_ends(stop_at: datetime, cancel: bool, state: str, breached_at: datetime | None) -> None:
    subject = clock()
    assert clocks.stop(subject, AROUND_THE_CLOCK, stop_at, cancel=cancel) is None
    assert (subject.state, subject.breached_at, subject.stopped_at) == (state, breached_at, stop_at)
    assert clocks.is_stopped(subject) and subject.next_fire_at is None
    assert clocks.elapsed_seconds(subject, AROUND_THE_CLOCK, stop_at + timedelta(days=1)) == int(
        (stop_at - T0).total_seconds()
    )


def test_a_clock_breached_by_the_timer_stays_breached_and_its_due_instant_does_not_move() -> None:
    subject = clock()
    subject.warned_at, subject.breached_at, subject.state = at(2700), at(3600), clocks.BREACHED
    clocks.pause(subject, at(4000))
    clocks.resume(subject, AROUND_THE_CLOCK, at(5000))
    assert (subject.state, subject.due_at, subject.next_fire_at) == (clocks.BREACHED, at(3600), None)
    clocks.stop(subject, AROUND_THE_CLOCK, at(6000))
    assert (subject.state, subject.breached_at) == (clocks.BREACHED, at(3600))


def test_stopping_a_paused_clock_ends_its_pause() -> None:
    subject = clock()
    clocks.pause(subject, at(600))
    assert clocks.stop(subject, AROUND_THE_CLOCK, at(1000)) == 400
    assert (subject.state, subject.paused_seconds, subject.paused_at) == (clocks.MET, 400, None)
    assert clocks.elapsed_seconds(subject, AROUND_THE_CLOCK, at(1000)) == 600


def test_a_reopened_clock_runs_again_without_counting_the_time_it_was_resolved() -> None:
    subject = clock()
    clocks.stop(subject, AROUND_THE_CLOCK, at(1800))
    assert clocks.reopen(subject, AROUND_THE_CLOCK, at(2400)) == 600
    assert (subject.state, subject.stopped_at, subject.paused_seconds) == (clocks.RUNNING, None, 600)
    assert (subject.warn_at, subject.due_at, subject.next_fire_at) == (at(3300), at(4200), at(3300))
