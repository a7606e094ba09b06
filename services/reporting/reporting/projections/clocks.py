"""SLA clock facts from dispatch's `sla.*` events, keyed by (ticket, metric): dispatch keeps one clock
per metric and resumes it on reopen. Outcomes are facts that only ever get set, so order is irrelevant;
a breach keeps the due instant it was measured against."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.dispatch import SlaBreached, SlaCancelled, SlaMet, SlaResumed, SlaRetargeted, SlaStarted
from opsdesk_shared.contracts.envelope import Envelope

_STARTED = text(
    "INSERT INTO sla_clock_fact AS c (ticket_id, metric, started_at, due_at) VALUES (:id, :metric, :started, :due) "
    "ON CONFLICT (ticket_id, metric) DO UPDATE SET started_at = EXCLUDED.started_at,"
    " due_at = CASE WHEN c.breached_at IS NULL AND c.due_at IS NULL THEN EXCLUDED.due_at ELSE c.due_at END"
)
_BREACHED = text(
    "INSERT INTO sla_clock_fact AS c (ticket_id, metric, clock_id, due_at, breached_at)"
    " VALUES (:id, :metric, :clock, :due, :at) "
    "ON CONFLICT (ticket_id, metric) DO UPDATE SET clock_id = EXCLUDED.clock_id, due_at = EXCLUDED.due_at,"
    " breached_at = EXCLUDED.breached_at"
)
_MET = text(
    "INSERT INTO sla_clock_fact AS c (ticket_id, metric, clock_id, met_at) VALUES (:id, :metric, :clock, :at) "
    "ON CONFLICT (ticket_id, metric) DO UPDATE SET clock_id = EXCLUDED.clock_id, met_at = EXCLUDED.met_at"
)
_CANCELLED = text(
    "INSERT INTO sla_clock_fact AS c (ticket_id, metric, clock_id, cancelled_at) VALUES (:id, :metric, :clock, :at) "
    "ON CONFLICT (ticket_id, metric) DO UPDATE SET clock_id = EXCLUDED.clock_id, cancelled_at = EXCLUDED.cancelled_at"
)
_RESUMED = text(
    "INSERT INTO sla_clock_fact AS c (ticket_id, metric, clock_id, due_at) VALUES (:id, :metric, :clock, :due) "
    "ON CONFLICT (ticket_id, metric) DO UPDATE SET clock_id = EXCLUDED.clock_id, due_at = EXCLUDED.due_at "
    "WHERE c.breached_at IS NULL"
)


async def started(session: AsyncSession, envelope: Envelope) -> UUID:
    s = envelope.parse(SlaStarted)
    if s.clocks:  # all its clocks in one round trip (an executemany)
        await session.execute(
            _STARTED,
            [{"id": s.ticket_id, "metric": c.metric, "started": c.started_at, "due": c.due_at} for c in s.clocks],
        )
    return s.ticket_id


async def breached(session: AsyncSession, envelope: Envelope) -> UUID:
    b = envelope.parse(SlaBreached)
    await session.execute(
        _BREACHED, {"id": b.ticket_id, "metric": b.metric, "clock": b.clock_id, "due": b.due_at, "at": b.breached_at}
    )
    return b.ticket_id


async def met(session: AsyncSession, envelope: Envelope) -> UUID:
    m = envelope.parse(SlaMet)
    await session.execute(_MET, {"id": m.ticket_id, "metric": m.metric, "clock": m.clock_id, "at": m.stopped_at})
    return m.ticket_id


async def cancelled(session: AsyncSession, envelope: Envelope) -> UUID:
    c = envelope.parse(SlaCancelled)
    await session.execute(
        _CANCELLED, {"id": c.ticket_id, "metric": c.metric, "clock": c.clock_id, "at": c.cancelled_at}
    )
    return c.ticket_id


async def resumed(session: AsyncSession, envelope: Envelope) -> UUID:
    r = envelope.parse(SlaResumed)
    await session.execute(_RESUMED, {"id": r.ticket_id, "metric": r.metric, "clock": r.clock_id, "due": r.due_at})
    return r.ticket_id


async def retargeted(session: AsyncSession, envelope: Envelope) -> UUID:
    """A reclassification gave the clock another target: its due instant moves, unless it breached already
    (dispatch never retargets a breached clock; the guard keeps a late event from moving one either)."""
    r = envelope.parse(SlaRetargeted)
    await session.execute(_RESUMED, {"id": r.ticket_id, "metric": r.metric, "clock": r.clock_id, "due": r.due_at})
    return r.ticket_id


HANDLERS = {
    SlaStarted.type: started,
    SlaBreached.type: breached,
    SlaMet.type: met,
    SlaCancelled.type: cancelled,
    SlaResumed.type: resumed,
    SlaRetargeted.type: retargeted,
}
