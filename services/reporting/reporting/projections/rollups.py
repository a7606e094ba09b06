"""The rollups the reports read, in three tiers per kind (tickets, SLA clocks, durations):

- `<kind>_daily`: per local day and unit, recomputed from the facts for one (day, unit) cell whenever a
  ticket of that cell changes. Unit-scoped reports read it.
- `<kind>_daily_all` and `<kind>_monthly`: the same figures summed over all units, per day and per
  month, kept current by adding the cell's change (after minus before). Unscoped reports read whole
  months from the monthly tier and the days at either end from the daily one, so a year costs a few
  thousand rows whatever the volume.

A refresh holds a lock on the cell's month: changes within a month apply one at a time (each statement
in READ COMMITTED then sees what the previous holder committed), and upserts on the shared tiers cannot
deadlock. The rebuild and the benchmark's data generator compute every tier with `refresh_all`.

Durations go into buckets (1 min below a day, 1 h above) so percentiles come from counts, not rows.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Rollup:
    kind: str
    keys: tuple[str, ...]  # besides the day (or month) and the unit
    measures: tuple[str, ...]  # the first one counts rows: zero means the row is empty
    from_facts: str  # SELECT of (day, unit_id, *keys, *measures) for the cells matching {cell}
    unit_totals: bool = False  # the all-unit tiers keep the unit as a key (volume per unit over a year)

    @property
    def total_keys(self) -> tuple[str, ...]:
        return ("unit_id", *self.keys) if self.unit_totals else self.keys

    @property
    def tables(self) -> tuple[str, str, str]:
        return f"{self.kind}_daily", f"{self.kind}_daily_all", f"{self.kind}_monthly"


TICKETS = Rollup(
    "ticket",
    ("category", "priority", "channel", "status"),
    (
        "tickets",
        "resolved",
        "first_call_resolved",
        "reopened",
        "rated",
        "rating_sum",
        "satisfied",
        "arrive_n",
        "arrive_sum_s",
        "resolve_n",
        "resolve_sum_s",
    ),
    """
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
""",
)

SLA = Rollup(
    "sla",
    ("category", "priority", "metric", "outcome"),
    ("clocks",),
    """
SELECT f.day, f.unit_id, f.category, f.priority, c.metric,
    CASE WHEN c.breached_at IS NOT NULL THEN 'breached'
         WHEN c.met_at IS NOT NULL THEN 'met'
         WHEN c.cancelled_at IS NOT NULL THEN 'cancelled'
         ELSE 'running' END,
    count(*)
FROM sla_clock_fact c JOIN ticket_fact f USING (ticket_id)
WHERE f.created_at IS NOT NULL AND {cell}
GROUP BY 1, 2, 3, 4, 5, 6
""",
)

DURATIONS = Rollup(
    "duration",
    ("category", "priority", "measure", "bucket_s"),
    ("n",),
    """
SELECT f.day, f.unit_id, f.category, f.priority, m.measure,
    (CASE WHEN m.seconds < 86400 THEN floor(m.seconds / 60) * 60 ELSE floor(m.seconds / 3600) * 3600 END)::int,
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
""",
)

UNIT_VOLUME = Rollup(
    "unit_volume",
    ("category", "priority"),
    ("tickets",),
    """
SELECT f.day, f.unit_id, f.category, f.priority, count(*)
FROM ticket_fact f
WHERE f.created_at IS NOT NULL AND {cell}
GROUP BY 1, 2, 3, 4
""",
    unit_totals=True,
)

ROLLUPS = (TICKETS, SLA, DURATIONS, UNIT_VOLUME)
_ONE_CELL = "f.day = :day AND f.unit_id = :unit_id"


async def lock(session: AsyncSession, key: str) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


def _columns(rollup: Rollup, keys: tuple[str, ...] | None = None) -> str:
    return ", ".join((*(rollup.keys if keys is None else keys), *rollup.measures))


async def _refresh_kind(session: AsyncSession, rollup: Rollup, day: date, unit_id: UUID) -> None:
    daily, daily_all, monthly = rollup.tables
    cell = {"day": day, "unit_id": unit_id}
    keys = rollup.total_keys
    before = await session.execute(
        text(f"DELETE FROM {daily} WHERE day = :day AND unit_id = :unit_id RETURNING {_columns(rollup, keys)}"), cell
    )
    delta: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0] * len(rollup.measures))
    width = len(keys)
    for row in before:
        for i, value in enumerate(row[width:]):
            delta[tuple(row[:width])][i] -= value
    after = await session.execute(
        text(
            f"INSERT INTO {daily} (day, unit_id, {_columns(rollup)}) {rollup.from_facts.format(cell=_ONE_CELL)} "
            f"RETURNING {_columns(rollup, keys)}"
        ),
        cell,
    )
    for row in after:
        for i, value in enumerate(row[width:]):
            delta[tuple(row[:width])][i] += value
    changes = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(rollup.measures, values, strict=True))}
        for key, values in sorted(delta.items(), key=lambda kv: tuple(map(str, kv[0])))
        if any(values)
    ]
    if not changes:
        return
    increments = ", ".join(f"{m} = t.{m} + EXCLUDED.{m}" for m in rollup.measures)
    columns = _columns(rollup, keys)
    placeholders = ", ".join(f":{c}" for c in (*keys, *rollup.measures))
    for table, time_key, time_value in ((daily_all, "day", day), (monthly, "month", day.replace(day=1))):
        await session.execute(
            text(
                f"INSERT INTO {table} AS t ({time_key}, {columns}) VALUES (:{time_key}, {placeholders}) "
                f"ON CONFLICT ({time_key}, {', '.join(keys)}) DO UPDATE SET {increments}"
            ),
            [{**change, time_key: time_value} for change in changes],
        )
        await session.execute(
            text(f"DELETE FROM {table} WHERE {time_key} = :t AND {rollup.measures[0]} = 0"), {"t": time_value}
        )


async def refresh_cell(session: AsyncSession, day: date, unit_id: UUID) -> None:
    await lock(session, f"rollup-month:{day:%Y-%m}")
    for rollup in ROLLUPS:
        await _refresh_kind(session, rollup, day, unit_id)


async def refresh_ticket_cell(session: AsyncSession, ticket_id: UUID) -> None:
    row = (
        await session.execute(text("SELECT day, unit_id FROM ticket_fact WHERE ticket_id = :id"), {"id": ticket_id})
    ).first()
    if row is not None and row.day is not None and row.unit_id is not None:
        await refresh_cell(session, row.day, row.unit_id)


async def refresh_all(session: AsyncSession) -> None:
    """Every tier from scratch, for the rebuild (readers wait for its commit rather than see half the figures)."""
    await session.execute(text(f"TRUNCATE {', '.join(t for r in ROLLUPS for t in r.tables)}"))
    for rollup in ROLLUPS:
        daily, daily_all, monthly = rollup.tables
        keys, sums = ", ".join(rollup.total_keys), ", ".join(f"sum({m})" for m in rollup.measures)
        columns = _columns(rollup, rollup.total_keys)
        await session.execute(
            text(f"INSERT INTO {daily} (day, unit_id, {_columns(rollup)}) {rollup.from_facts.format(cell='TRUE')}")
        )
        await session.execute(
            text(
                f"INSERT INTO {daily_all} (day, {columns}) SELECT day, {keys}, {sums} FROM {daily} GROUP BY day, {keys}"
            )
        )
        await session.execute(
            text(
                f"INSERT INTO {monthly} (month, {columns}) "
                f"SELECT date_trunc('month', day)::date, {keys}, {sums} FROM {daily_all} "
                f"GROUP BY date_trunc('month', day)::date, {keys}"
            )
        )
