"""The SLA timer: fires `sla.warning` and `sla.breached` at their instants, exactly once.

Any number of dispatch workers run it. Each loop takes the clocks whose `next_fire_at` has come, through
the partial index on that column, with `FOR UPDATE SKIP LOCKED` — so two workers never take the same
clock — and in one transaction records the firing, moves `next_fire_at` on and writes the event to the
outbox. Either all of that commits or none of it does, so a crash at any point leaves the clock due and
the next worker to look fires it, with the instant it was really due. Between firings a worker sleeps
until the earliest `next_fire_at`, or until a `NOTIFY sla_timer` (a trigger sends one whenever a clock
gets a new instant) says something sooner may have appeared; 100,000 running clocks cost one index probe.
A wake-up only looks again at the earliest instant (one statement on the listening connection) and fires
when that instant has come: every new ticket's clocks send a NOTIFY, and answering each with a firing
transaction that found nothing due was half of the dispatch worker's database work per ticket.
"""

import asyncio
from datetime import datetime

import asyncpg
import structlog
from prometheus_client import Histogram
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dispatch.sla import clocks, escalation
from dispatch.sla.models import SlaClock, SlaEscalation
from dispatch.workorders.models import DispatchTicket
from opsdesk_shared import wakeups
from opsdesk_shared.contracts.dispatch import Recipient, SlaBreached, SlaWarning
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.messaging.outbox import add_events

log = structlog.get_logger(__name__)
# How long after its instant a clock's warning or breach went out: deploy/monitoring alerts when it grows
# (workers down or starved), since a late breach notice is a breach the desk learns of late.
LATENESS = Histogram(
    "opsdesk_sla_timer_lateness_seconds",
    "Delay between a clock's warn or due instant and its firing",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
)

TIMER_CHANNEL = "sla_timer"
# Through the partial index on `next_fire_at`: one probe however many clocks run.
_SECONDS_TO_NEXT = (
    "SELECT extract(epoch FROM min(next_fire_at) - clock_timestamp()) FROM sla_clock WHERE next_fire_at IS NOT NULL"
)
PRODUCER = "dispatch"


class SlaTimer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        dsn: str,
        *,
        batch_size: int = 500,
        max_sleep_s: float = 30.0,
    ) -> None:
        self.sessions = sessions
        self.dsn = dsn
        self.batch_size = batch_size
        # Upper bound on any sleep: covers a NOTIFY lost while the listening connection was down.
        self.max_sleep_s = max_sleep_s
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None

    async def __call__(self, stop: asyncio.Event) -> None:
        self._listener = await wakeups.listen(self.dsn, TIMER_CHANNEL, lambda *_: self._wake.set())
        backoff = 0.5
        fire = True  # at start: clocks may have fallen due while no worker ran
        try:
            while not stop.is_set():
                try:
                    if fire:
                        while await self.fire_due() == self.batch_size:
                            pass  # a full batch: more may be due right now
                    self._wake.clear()
                    sleep = await self.seconds_to_next()
                    backoff = 0.5
                except Exception as exc:  # database away: keep trying; due clocks fire when it is back
                    log.warning("sla_timer_retrying", error=repr(exc)[:300], backoff_s=backoff)
                    sleep, backoff = backoff, min(backoff * 2, 10.0)
                    if self._listener is None or self._listener.is_closed():
                        self._listener = await wakeups.listen(self.dsn, TIMER_CHANNEL, lambda *_: self._wake.set())
                await wakeups.wait_any(stop, self._wake, sleep)
                # Slept until the earliest instant (or the cap, or a back-off): fire. Woken before it by a
                # NOTIFY: some clock got a new instant, perhaps sooner — look again before firing anything.
                fire = sleep <= 0 or not self._wake.is_set()
        finally:
            await wakeups.close(self._listener)

    async def seconds_to_next(self) -> float:
        listener = self._listener
        if listener is not None and not listener.is_closed():
            # The listening connection is idle between notifications: one round trip, where a pooled session
            # costs four (its ping, BEGIN, the query, ROLLBACK).
            delay = await listener.fetchval(_SECONDS_TO_NEXT)
        else:
            async with self.sessions() as session:
                delay = await session.scalar(text(_SECONDS_TO_NEXT))
        if delay is None:
            return self.max_sleep_s
        return min(max(float(delay), 0.0), self.max_sleep_s)

    async def fire_due(self) -> int:
        """Fires one batch of due clocks in one transaction; returns how many clocks it took."""
        async with self.sessions() as session, session.begin():
            now: datetime = (await session.execute(select(func.clock_timestamp()))).scalar_one()
            rows = await session.execute(
                select(SlaClock, DispatchTicket.number)
                .outerjoin(DispatchTicket, DispatchTicket.id == SlaClock.ticket_id)
                .where(SlaClock.next_fire_at <= now)
                .order_by(SlaClock.next_fire_at)
                .limit(self.batch_size)
                .with_for_update(of=SlaClock, skip_locked=True)
            )
            due = rows.all()
            recipients: dict[str, list[Recipient]] = {}
            events = [await self._fire(session, clock, number, now, recipients) for clock, number in due]
            await add_events(session, events, producer=PRODUCER)
        if due:
            log.info("sla_timer_fired", clocks=len(due))
        return len(due)

    async def _fire(
        self,
        session: AsyncSession,
        clock: SlaClock,
        number: str | None,
        now: datetime,
        recipients: dict[str, list[Recipient]],
    ) -> Event:
        common = dict(
            ticket_id=clock.ticket_id,
            ticket_number=number,
            clock_id=clock.id,
            metric=clock.metric,
            due_at=clock.due_at,
            fired_at=now,
        )
        if clock.next_fire_at is not None:
            LATENESS.observe(max((now - clock.next_fire_at).total_seconds(), 0.0))
        event: SlaBreached | SlaWarning
        if clock.due_at <= now:
            # Due (perhaps long ago, if every worker was down): breach at the true instant. A warning not
            # yet sent is superseded by the breach rather than sent late beside it.
            if "breach" not in recipients:
                recipients["breach"] = await escalation.breach_recipients(session)
            clock.breached_at = clock.due_at
            clock.warned_at = clock.warned_at or now
            clock.state = clocks.BREACHED
            event = SlaBreached(
                **common,
                breached_at=clock.due_at,
                notify_roles=escalation.BREACH_ROLES,
                recipients=recipients["breach"],
            )
        else:
            if "warning" not in recipients:
                recipients["warning"] = await escalation.warning_recipients(session, now)
            clock.warned_at = now
            event = SlaWarning(
                **common, warn_at=clock.warn_at, notify_roles=escalation.WARNING_ROLES, recipients=recipients["warning"]
            )
        clock.next_fire_at = clocks.next_fire_at(clock)
        # Kept beside the event: a console opened after this instant lists it until a dispatcher acknowledges it.
        kind = "breach" if isinstance(event, SlaBreached) else "warning"
        session.add(SlaEscalation(clock_id=clock.id, ticket_id=clock.ticket_id, kind=kind, fired_at=now))
        return event
