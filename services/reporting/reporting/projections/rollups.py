"""The per-day rollups the reports read, defined once as SQL over the facts.

A ticket's change recomputes the rollup rows of its (local day, unit) cell, a few dozen tickets at most,
under a lock on the cell so two tickets of one cell committing together cannot hide each other's change
(each statement in READ COMMITTED sees what the other committed before the lock was granted). The
rebuild and the benchmark's data generator recompute every cell with the same statements.

Durations go into buckets (1 min below a day, 1 h above) so percentiles come from counts, not rows.
"""

from datetime import date
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

ROLLUPS = ("ticket_daily", "sla_daily", "duration_daily")

_TICKET_DAILY = """
INSERT INTO ticket_daily (day, unit_id, category, priority, channel, status, tickets, resolved, first_call_resolved,
    reopened, rated, rating_sum, satisfied, arrive_n, arrive_sum_s, resolve_n, resolve_sum_s)
SELECT f.day, f.unit_id, f.category, f.priority, f.channel, f.status, count(*),
    count(f.resolved_at),
    count(*) FILTER (WHERE f.resolved_remote AND f.assigned_count = 0),
    count(*) FILTER (WHERE f.reopen_count > 0),
    count(f.rating), coalesce(sum(f.rating), 0), count(*) FILTER (WHERE f.rating >= 4),
    count(f.first_arrived_at),
    coalesce(sum(greatest(0, extract(epoch FROM f.first_arrived_at - f.created_at))), 0),
    count(f.resolved_at),
    coalesce(sum(greatest(0, extract(epoch FROM f.resolved_at - f.created_at))), 0)
FROM ticket_fact f
WHERE f.created_at IS NOT NULL AND {cell}
GROUP BY f.day, f.unit_id, f.category, f.priority, f.channel, f.status
"""

_SLA_DAILY = """
INSERT INTO sla_daily (day, unit_id, category, priority, metric, outcome, clocks)
SELECT f.day, f.unit_id, f.category, f.priority, c.metric,
    CASE WHEN c.breached_at IS NOT NULL THEN 'breached'
         WHEN c.met_at IS NOT NULL THEN 'met'
         WHEN c.cancelled_at IS NOT NULL THEN 'cancelled'
         ELSE 'running' END,
    count(*)
FROM sla_clock_fact c JOIN ticket_fact f USING (ticket_id)
WHERE f.created_at IS NOT NULL AND {cell}
GROUP BY 1, 2, 3, 4, 5, 6
"""

_DURATION_DAILY = """
INSERT INTO duration_daily (day, unit_id, category, priority, measure, bucket_s, n)
SELECT f.day, f.unit_id, f.category, f.priority, m.measure,
    CASE WHEN m.seconds < 86400 THEN floor(m.seconds / 60) * 60 ELSE floor(m.seconds / 3600) * 3600 END,
    count(*)
FROM ticket_fact f
-- greatest() would turn a missing duration into 0, hence the CASE: clock skew may not go below 0.
CROSS JOIN LATERAL (VALUES
    ('arrive', extract(epoch FROM f.first_arrived_at - f.created_at)),
    ('resolve', extract(epoch FROM f.resolved_at - f.created_at))
) AS raw(measure, raw_seconds)
CROSS JOIN LATERAL (SELECT raw.measure, CASE WHEN raw.raw_seconds < 0 THEN 0 ELSE raw.raw_seconds END)
    AS m(measure, seconds)
WHERE f.created_at IS NOT NULL AND m.seconds IS NOT NULL AND {cell}
GROUP BY 1, 2, 3, 4, 5, 6
"""

_STATEMENTS = (_TICKET_DAILY, _SLA_DAILY, _DURATION_DAILY)
_ONE_CELL = "f.day = :day AND f.unit_id = :unit_id"


async def lock(session: AsyncSession, key: str) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


async def refresh_cell(session: AsyncSession, day: date, unit_id: UUID) -> None:
    await lock(session, f"cell:{day.isoformat()}:{unit_id}")
    params = {"day": day, "unit_id": unit_id}
    for table in ROLLUPS:
        await session.execute(text(f"DELETE FROM {table} WHERE day = :day AND unit_id = :unit_id"), params)
    for statement in _STATEMENTS:
        await session.execute(text(statement.format(cell=_ONE_CELL)), params)


async def refresh_ticket_cell(session: AsyncSession, ticket_id: UUID) -> None:
    row = (
        await session.execute(text("SELECT day, unit_id FROM ticket_fact WHERE ticket_id = :id"), {"id": ticket_id})
    ).first()
    if row is not None and row.day is not None and row.unit_id is not None:
        await refresh_cell(session, row.day, row.unit_id)


async def refresh_all(session: AsyncSession) -> None:
    """Every cell at once, for the rebuild (readers wait for its commit rather than see half the figures)."""
    await session.execute(text(f"TRUNCATE {', '.join(ROLLUPS)}"))
    for statement in _STATEMENTS:
        await session.execute(text(statement.format(cell="TRUE")))
