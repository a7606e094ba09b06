"""A clock's arithmetic: when it is due, how much of it has run, pausing, resuming and stopping.

Pure functions over `SlaClock` and a calendar; the database and events are `dispatch.sla.service`'s job.
Counted time = calendar seconds since `started_at` minus `paused_seconds` (minus the current pause).
"""

from datetime import datetime

from dispatch.sla.calendars import Calendar
from dispatch.sla.models import SlaClock

RUNNING = "running"
PAUSED = "paused"
MET = "met"
BREACHED = "breached"
CANCELLED = "cancelled"


def next_fire_at(clock: SlaClock) -> datetime | None:
    """The next instant the timer must act on: the warning, then the breach; nothing once stopped or paused."""
    if clock.stopped_at is not None or clock.paused_at is not None:
        return None
    if clock.breached_at is not None:
        return None
    if clock.warned_at is None:
        return clock.warn_at
    return clock.due_at


def schedule(clock: SlaClock, calendar: Calendar) -> None:
    """Place the warning and due instants, pushed back by every pause so far."""
    if clock.breached_at is None:  # a breach already happened at its true instant; it does not move
        clock.due_at = calendar.add(clock.started_at, clock.target_s + clock.paused_seconds)
        clock.warn_at = calendar.add(clock.started_at, int(clock.target_s * clock.warn_ratio) + clock.paused_seconds)
    clock.next_fire_at = next_fire_at(clock)


def elapsed_seconds(clock: SlaClock, calendar: Calendar, now: datetime) -> int:
    end = clock.stopped_at or now
    counted = calendar.seconds_between(clock.started_at, end) - clock.paused_seconds
    if clock.paused_at is not None:
        counted -= calendar.seconds_between(clock.paused_at, end)
    return max(0, counted)


def paused_so_far(clock: SlaClock, calendar: Calendar, now: datetime) -> int:
    current = calendar.seconds_between(clock.paused_at, now) if clock.paused_at else 0
    return clock.paused_seconds + current


def is_stopped(clock: SlaClock) -> bool:
    return clock.stopped_at is not None


def pause(clock: SlaClock, at: datetime) -> None:
    clock.paused_at = at
    clock.state = PAUSED
    clock.next_fire_at = None


def resume(clock: SlaClock, calendar: Calendar, at: datetime) -> int:
    """Ends the pause; returns its length in the clock's calendar."""
    assert clock.paused_at is not None
    paused_at, clock.paused_at = clock.paused_at, None
    return _run_again(clock, calendar, since=paused_at, at=at)


def _run_again(clock: SlaClock, calendar: Calendar, *, since: datetime, at: datetime) -> int:
    """The clock runs again at `at`; the time since `since` does not count. Returns that time."""
    seconds = calendar.seconds_between(since, at)
    clock.paused_seconds += seconds
    clock.state = BREACHED if clock.breached_at else RUNNING
    schedule(clock, calendar)
    return seconds


def stop(clock: SlaClock, calendar: Calendar, at: datetime, *, cancel: bool = False) -> int | None:
    """Stops the clock as met, breached or cancelled; returns the length of a pause it ended, if any."""
    ended_pause = None
    if clock.paused_at is not None:
        ended_pause = calendar.seconds_between(clock.paused_at, at)
        clock.paused_seconds += ended_pause
        clock.paused_at = None
    clock.stopped_at = at
    clock.next_fire_at = None
    if cancel:
        clock.state = CANCELLED
    elif clock.breached_at is None and elapsed_seconds(clock, calendar, at) > clock.target_s:
        # Stopped after its due instant before a timer got to it: still a breach, at its true time.
        clock.breached_at = clock.due_at
        clock.state = BREACHED
    else:
        clock.state = BREACHED if clock.breached_at else MET
    return ended_pause


def reopen(clock: SlaClock, calendar: Calendar, at: datetime) -> int:
    """A resolved ticket was reopened: its stopped clock runs again, and the time it spent resolved is
    not counted against the vendor (it is recorded as a pause). Returns that time in the calendar."""
    assert clock.stopped_at is not None
    stopped_at, clock.stopped_at = clock.stopped_at, None
    return _run_again(clock, calendar, since=stopped_at, at=at)
