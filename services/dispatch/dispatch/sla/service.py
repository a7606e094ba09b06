"""Starting, pausing, resuming and stopping a ticket's clocks, each change with its event in the same
transaction. The timer that fires warnings and breaches is `dispatch.sla.timer`."""

from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import Text, bindparam, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.sla import clocks
from dispatch.sla.calendars import Calendar, calendar_for
from dispatch.sla.models import CalendarOverride, SlaClock, SlaPause, SlaPolicy
from opsdesk_shared.contracts.dispatch import (
    ClockSnapshot,
    SlaBreached,
    SlaCancelled,
    SlaMet,
    SlaPaused,
    SlaResumed,
    SlaRetargeted,
    SlaStarted,
)
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.messaging.outbox import add_event

PRODUCER = "dispatch"
METRICS = ("response", "arrival", "resolution")
# A ticket's clocks, the rows passed beside it (executemany): one statement, compiled once and cached. Built
# with `.values([...])` instead, it was a new statement per ticket that SQLAlchemy cannot cache, compiled
# anew each time (~1.7 ms, an eighth of the dispatch worker's CPU per ticket in `make bench`).
_INSERT_CLOCKS = insert(SlaClock).on_conflict_do_nothing(index_elements=["ticket_id", "metric"]).returning(SlaClock.id)


def _specificity(policy: SlaPolicy) -> int:
    return (policy.category != "*") * 2 + (policy.priority != "*")


# The active policies that may match a ticket (parameters `policy_category`, `policy_priority`); built once, so
# that a statement made of it (workorders/tickets.py adds the ticket's copy to it) is compiled once too.
POLICY_CANDIDATES = select(SlaPolicy).where(
    SlaPolicy.is_active.is_(True),
    SlaPolicy.category.in_([bindparam("policy_category", type_=Text), literal("*")]),
    SlaPolicy.priority.in_([bindparam("policy_priority", type_=Text), literal("*")]),
)


def most_specific(candidates: Iterable[SlaPolicy]) -> SlaPolicy | None:
    policies = sorted(candidates, key=_specificity, reverse=True)
    return policies[0] if policies else None


async def matching_policy(session: AsyncSession, category: str, priority: str) -> SlaPolicy | None:
    rows = await session.execute(POLICY_CANDIDATES, {"policy_category": category, "policy_priority": priority})
    return most_specific(rows.scalars())


async def load_calendar(session: AsyncSession, name: str) -> Calendar:
    if name != "workdays":
        return calendar_for(name)
    # Overrides are a handful of rows that change a few times a year: read once per session (a request
    # or an event), however many clocks it touches.
    overrides = session.info.get("calendar_overrides")
    if overrides is None:
        rows = await session.execute(select(CalendarOverride.day, CalendarOverride.is_workday))
        overrides = session.info["calendar_overrides"] = {day: is_workday for day, is_workday in rows.all()}
    return calendar_for(name, overrides)


async def start_clocks(session: AsyncSession, ticket: TicketCreated, policy: SlaPolicy | None) -> list[SlaClock]:
    """The clocks of `policy` (the one matching the ticket, found as its copy was recorded), running from the
    ticket's creation, not from when this event arrived."""
    if policy is None:
        return []
    calendar = await load_calendar(session, policy.calendar)
    started = []
    for metric in METRICS:
        target = getattr(policy, f"{metric}_target_s")
        if not target:
            continue
        clock = SlaClock(
            ticket_id=ticket.ticket_id,
            policy_id=policy.id,
            metric=metric,
            state=clocks.RUNNING,
            calendar=policy.calendar,
            target_s=target,
            warn_ratio=policy.warn_ratio,
            started_at=ticket.created_at,
            due_at=ticket.created_at,
            warn_at=ticket.created_at,
        )
        clocks.schedule(clock, calendar)
        started.append(clock)
    if not started:
        return []
    # The same ticket twice (a second event id for it) must not start a second set of clocks.
    inserted = await session.execute(_INSERT_CLOCKS, [c.values() for c in started])
    if not inserted.all():
        return []
    await add_event(
        session,
        SlaStarted(
            ticket_id=ticket.ticket_id,
            policy_id=policy.id,
            policy_name=policy.name,
            clocks=[
                ClockSnapshot(metric=c.metric, state=c.state, started_at=c.started_at, due_at=c.due_at) for c in started
            ],
        ),
        producer=PRODUCER,
    )
    return started


async def _live_clocks(session: AsyncSession, ticket_id: UUID, metrics: Iterable[str] = METRICS) -> list[SlaClock]:
    rows = await session.execute(
        select(SlaClock)
        .where(
            SlaClock.ticket_id == ticket_id,
            SlaClock.metric.in_(list(metrics)),
            SlaClock.stopped_at.is_(None),
        )
        .order_by(SlaClock.metric)
        .with_for_update()  # the timer takes the same lock: a pause and a firing never interleave
    )
    return list(rows.scalars())


async def pause_ticket(session: AsyncSession, ticket_id: UUID, *, reason: str, at: datetime, number: str | None) -> int:
    paused = 0
    for clock in await _live_clocks(session, ticket_id):
        if clock.paused_at is not None:
            continue
        clocks.pause(clock, at)
        session.add(SlaPause(clock_id=clock.id, reason=reason, started_at=at))
        await add_event(
            session,
            SlaPaused(
                ticket_id=ticket_id,
                ticket_number=number,
                clock_id=clock.id,
                metric=clock.metric,
                due_at=clock.due_at,
                paused_at=at,
                reason=reason,
            ),
            producer=PRODUCER,
        )
        paused += 1
    return paused


async def _close_pause(session: AsyncSession, clock: SlaClock, at: datetime, seconds: int) -> None:
    pause = await session.scalar(select(SlaPause).where(SlaPause.clock_id == clock.id, SlaPause.ended_at.is_(None)))
    if pause is not None:
        pause.ended_at = at
        pause.seconds = seconds


async def _announce_resumed(
    session: AsyncSession, clock: SlaClock, at: datetime, seconds: int, number: str | None
) -> None:
    await add_event(
        session,
        SlaResumed(
            ticket_id=clock.ticket_id,
            ticket_number=number,
            clock_id=clock.id,
            metric=clock.metric,
            due_at=clock.due_at,
            resumed_at=at,
            paused_seconds=seconds,
        ),
        producer=PRODUCER,
    )


async def resume_ticket(session: AsyncSession, ticket_id: UUID, *, at: datetime, number: str | None) -> int:
    resumed = 0
    for clock in await _live_clocks(session, ticket_id):
        if clock.paused_at is None:
            continue
        calendar = await load_calendar(session, clock.calendar)
        seconds = clocks.resume(clock, calendar, at)
        await _close_pause(session, clock, at, seconds)
        await _announce_resumed(session, clock, at, seconds, number)
        resumed += 1
    return resumed


async def stop_clocks(
    session: AsyncSession,
    ticket_id: UUID,
    metrics: Iterable[str],
    *,
    at: datetime,
    number: str | None,
    cancel_reason: str | None = None,
) -> list[SlaClock]:
    """Stops the named clocks: met (or breached, if late) — or cancelled when a reason is given."""
    stopped = []
    for clock in await _live_clocks(session, ticket_id, metrics):
        calendar = await load_calendar(session, clock.calendar)
        was_breached = clock.breached_at is not None
        ended_pause = clocks.stop(clock, calendar, at, cancel=cancel_reason is not None)
        if ended_pause is not None:
            await _close_pause(session, clock, at, ended_pause)
        common = dict(
            ticket_id=ticket_id, ticket_number=number, clock_id=clock.id, metric=clock.metric, due_at=clock.due_at
        )
        event: SlaCancelled | SlaMet | SlaBreached | None
        if clock.state == clocks.CANCELLED:
            event = SlaCancelled(**common, cancelled_at=at, reason=cancel_reason or "")
        elif clock.state == clocks.MET:
            event = SlaMet(**common, stopped_at=at, elapsed_seconds=clocks.elapsed_seconds(clock, calendar, at))
        elif not was_breached:  # late, and no timer had fired it yet: the one breach event, now
            event = SlaBreached(**common, fired_at=at, breached_at=clock.breached_at or clock.due_at)
        else:
            event = None
        if event is not None:
            await add_event(session, event, producer=PRODUCER)
        stopped.append(clock)
    return stopped


async def reopen_ticket(session: AsyncSession, ticket_id: UUID, *, at: datetime, number: str | None) -> int:
    """After a reopen the resolution clock runs again. Response and arrival stay as they ended: the
    contract measures them once per fault report."""
    rows = await session.execute(
        select(SlaClock)
        .where(
            SlaClock.ticket_id == ticket_id,
            SlaClock.metric == "resolution",
            SlaClock.stopped_at.is_not(None),
            SlaClock.state.in_([clocks.MET, clocks.BREACHED]),
        )
        .with_for_update()
    )
    reopened = 0
    for clock in rows.scalars():
        stopped_at = clock.stopped_at
        assert stopped_at is not None
        calendar = await load_calendar(session, clock.calendar)
        seconds = clocks.reopen(clock, calendar, at)
        session.add(
            SlaPause(
                clock_id=clock.id, reason="resolved, then reopened", started_at=stopped_at, ended_at=at, seconds=seconds
            )
        )
        await _announce_resumed(session, clock, at, seconds, number)
        reopened += 1
    return reopened


async def ticket_clocks(session: AsyncSession, ticket_id: UUID) -> list[SlaClock]:
    rows = await session.execute(select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.due_at))
    return list(rows.scalars())


async def ticket_pauses(session: AsyncSession, clock_ids: list[UUID]) -> list[SlaPause]:
    rows = await session.execute(select(SlaPause).where(SlaPause.clock_id.in_(clock_ids)).order_by(SlaPause.started_at))
    return list(rows.scalars())


async def clock_figures(session: AsyncSession, clock: SlaClock, now: datetime | None = None) -> dict[str, int]:
    now = now or datetime.now(UTC)
    calendar = await load_calendar(session, clock.calendar)
    elapsed = clocks.elapsed_seconds(clock, calendar, now)
    return {
        "elapsed_seconds": elapsed,
        "remaining_seconds": clock.target_s - elapsed,
        "paused_seconds": clocks.paused_so_far(clock, calendar, now),
    }


async def retarget_ticket(
    session: AsyncSession, ticket_id: UUID, *, category: str, priority: str, at: datetime, number: str | None
) -> int:
    """A reclassified ticket's clocks follow the policy that now matches it, from the change on.

    Each live clock keeps its start and its paused time and takes the new policy's target, calendar and
    warning ratio; its due and warning instants are placed again (a paused clock stays paused). A due instant
    already past is left to the timer, which fires the breach at once with that instant (a trigger wakes it).
    A breach already recorded is history: that clock is left as it is. A metric the new policy does not
    measure is cancelled; one it measures that the ticket had no clock for starts now."""
    policy = await matching_policy(session, category, priority)
    live = await _live_clocks(session, ticket_id)
    if policy is None or not live:
        # No policy at all (an admin retired them): the clocks keep what they had. A finished ticket's
        # clocks stay as they ended.
        return 0
    changed = 0
    for clock in live:
        if clock.policy_id == policy.id or clock.breached_at is not None:
            continue
        target = getattr(policy, f"{clock.metric}_target_s")
        if not target:
            await stop_clocks(
                session,
                ticket_id,
                [clock.metric],
                at=at,
                number=number,
                cancel_reason=f"reclassified: {policy.name} sets no {clock.metric} target",
            )
            changed += 1
            continue
        clock.policy_id, clock.target_s = policy.id, target
        clock.calendar, clock.warn_ratio = policy.calendar, policy.warn_ratio
        clocks.schedule(clock, await load_calendar(session, clock.calendar))
        await add_event(
            session,
            SlaRetargeted(
                ticket_id=ticket_id,
                ticket_number=number,
                clock_id=clock.id,
                metric=clock.metric,
                due_at=clock.due_at,
                retargeted_at=at,
                policy_id=policy.id,
                policy_name=policy.name,
                target_s=target,
            ),
            producer=PRODUCER,
        )
        changed += 1
    changed += await _start_missing(session, ticket_id, policy, {c.metric for c in live}, at)
    return changed


async def _start_missing(
    session: AsyncSession, ticket_id: UUID, policy: SlaPolicy, present: set[str], at: datetime
) -> int:
    """Clocks for metrics the new policy measures and the ticket never had, running from the change."""
    calendar = await load_calendar(session, policy.calendar)
    started = []
    for metric in METRICS:
        target = getattr(policy, f"{metric}_target_s")
        if not target or metric in present:
            continue
        clock = SlaClock(
            ticket_id=ticket_id,
            policy_id=policy.id,
            metric=metric,
            state=clocks.RUNNING,
            calendar=policy.calendar,
            target_s=target,
            warn_ratio=policy.warn_ratio,
            started_at=at,
            due_at=at,
            warn_at=at,
        )
        clocks.schedule(clock, calendar)
        started.append(clock)
    if not started:
        return 0
    # A metric that ended already (met, cancelled) keeps its row: the unique (ticket, metric) skips it.
    inserted = (
        await session.execute(_INSERT_CLOCKS.returning(SlaClock.id, SlaClock.metric), [c.values() for c in started])
    ).all()
    new = {metric for _, metric in inserted}
    if new:
        await add_event(
            session,
            SlaStarted(
                ticket_id=ticket_id,
                policy_id=policy.id,
                policy_name=policy.name,
                clocks=[
                    ClockSnapshot(metric=c.metric, state=c.state, started_at=c.started_at, due_at=c.due_at)
                    for c in started
                    if c.metric in new
                ],
            ),
            producer=PRODUCER,
        )
    return len(new)
