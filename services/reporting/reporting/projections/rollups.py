"""The rollups the reports read, in three tiers per kind (tickets, SLA clocks, durations):

- `<kind>_daily`: per local day and unit. Unit-scoped reports read it.
- `<kind>_daily_all` and `<kind>_monthly`: the same figures summed over all units, per day and per
  month. Unscoped reports read whole months from the monthly tier and the days at either end from the
  daily one, so a year costs a few thousand rows whatever the volume.

Every tier is kept current by difference: when an event changes a ticket's facts, the ticket's share
(what `from_facts` gives for that one ticket) is read before and after, and the change is added to the
rows it touches. The work per event is a few rows, however many tickets share the day and unit; the
earlier design recomputed the whole (day, unit) cell, which made each event slower as a busy day filled.

A change holds a lock on its month: changes within a month apply one at a time, so upserts on the
shared tiers cannot deadlock and a row emptied by one change is not refilled by another half-way. The
rebuild and the benchmark's data generator compute every tier with `refresh_all`.

A ticket closed as a duplicate (`ticket_fact.duplicate`) is no work: it counts under the status
`duplicate` in the ticket rollup (its own figure), and not at all in the SLA, duration and per-unit volume ones.

Durations go into buckets (1 min below a day, 1 h above) so percentiles come from counts, not rows.
"""

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.db import advisory_lock


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
SELECT f.day, f.unit_id, f.category, f.priority, f.channel,
    CASE WHEN f.duplicate THEN 'duplicate' ELSE f.status END, count(*),
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
GROUP BY 1, 2, 3, 4, 5, 6
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
WHERE f.created_at IS NOT NULL AND NOT f.duplicate AND {cell}
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
WHERE f.created_at IS NOT NULL AND NOT f.duplicate AND m.seconds IS NOT NULL AND {cell}
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
WHERE f.created_at IS NOT NULL AND NOT f.duplicate AND {cell}
GROUP BY 1, 2, 3, 4
""",
    unit_totals=True,
)

ROLLUPS = (TICKETS, SLA, DURATIONS, UNIT_VOLUME)


def _columns(rollup: Rollup, keys: tuple[str, ...] | None = None) -> str:
    return ", ".join((*(rollup.keys if keys is None else keys), *rollup.measures))


Share = dict[str, dict[tuple[Any, ...], list[float]]]  # rollup kind -> (day, unit_id, *keys) -> measures


def _share_query(rollups: tuple[Rollup, ...]) -> TextClause:
    """Each rollup's rows for one ticket as an array of records, all in one statement (one round trip for
    the four rollups rather than four)."""
    arrays = ", ".join(
        f"ARRAY(SELECT ROW(q.*) FROM ({rollup.from_facts.format(cell='f.ticket_id = :ticket_id')}) AS q)"
        for rollup in rollups
    )
    return text(f"SELECT {arrays}")


_SHARE_QUERIES: dict[tuple[Rollup, ...], TextClause] = {}


async def ticket_share(session: AsyncSession, ticket_id: UUID, rollups: tuple[Rollup, ...] = ROLLUPS) -> Share:
    """What one ticket contributes to the daily tier of each of `rollups`: a handful of rows, whatever the
    volume."""
    query = _SHARE_QUERIES.get(rollups)
    if query is None:
        query = _SHARE_QUERIES[rollups] = _share_query(rollups)
    row = (await session.execute(query, {"ticket_id": ticket_id})).one()
    share: Share = {}
    for rollup, records in zip(rollups, row, strict=True):
        width = 2 + len(rollup.keys)
        share[rollup.kind] = {tuple(record[:width]): list(record[width:]) for record in records}
    return share


# A ticket's share before and after one event's change to its facts.
Change = tuple[Share, Share]


def _difference(rollup: Rollup, changes: list[Change]) -> dict[tuple[Any, ...], list[float]]:
    """The sum of after - before per daily-tier key over `changes`, keeping only keys that changed."""
    delta: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0] * len(rollup.measures))
    for before, after in changes:
        for sign, share in ((-1, before), (1, after)):
            for key, values in share.get(rollup.kind, {}).items():
                for i, value in enumerate(values):
                    delta[key][i] += sign * value
    return {key: values for key, values in delta.items() if any(values)}


def _months(changes: list[Change]) -> list[str]:
    return sorted(
        {f"{key[0]:%Y-%m}" for change in changes for share in change for cells in share.values() for key in cells}
    )


async def apply_changes(session: AsyncSession, changes: list[Change]) -> None:
    """Moves tickets' shares from each change's before to its after in all three tiers of every rollup.

    The changes are summed first (a batch of events: the same day's rows again and again), so each tier gets
    one upsert for all of them: each row the difference added, and rows whose count fell to zero deleted, so
    the tiers hold exactly what `refresh_all` would compute from the facts. The shares are read from the
    facts, never from the tiers, so a batch's changes add up whether applied one by one or at once.

    The upserts of every tier of every rollup go in one statement (a data-modifying WITH per tier, its rows
    as JSON read with the tier's own row type), and the deletes of emptied rows in a second one after it: a
    dozen round trips were most of a small batch's."""
    for month in _months(changes):
        await advisory_lock(session, f"rollup-month:{month}")
    upserts: list[tuple[str, str]] = []
    deletes: list[tuple[str, str]] = []
    for rollup in ROLLUPS:
        delta = _difference(rollup, changes)
        if not delta:
            continue
        for table, time_key, keys in _tiers(rollup):
            rows = _tier_rows(rollup, delta, time_key, keys)
            if not rows:
                continue
            upserts.append((table, json.dumps(rows, default=str)))
            emptied = [{c: row[c] for c in (time_key, *keys)} for row in rows if row[rollup.measures[0]] < 0]
            if emptied:
                deletes.append((table, json.dumps(emptied, default=str)))
    for statements, render in ((upserts, _upsert), (deletes, _delete)):
        if statements:
            tables = tuple(table for table, _ in statements)
            query = _TIER_QUERIES.get((render, tables))
            if query is None:
                query = _TIER_QUERIES[(render, tables)] = text(
                    "WITH " + ", ".join(render(table, f"r{i}") for i, table in enumerate(tables)) + " SELECT 1"
                )
            await session.execute(query, {f"r{i}": rows for i, (_, rows) in enumerate(statements)})


def _tier_of(table: str) -> tuple[Rollup, str, tuple[str, ...]]:
    return next((rollup, time_key, keys) for rollup in ROLLUPS for t, time_key, keys in _tiers(rollup) if t == table)


def _upsert(table: str, param: str) -> str:
    """One tier's rows (a JSON array named `param`) added to it."""
    rollup, time_key, keys = _tier_of(table)
    columns = ", ".join((time_key, *keys, *rollup.measures))
    increments = ", ".join(f"{m} = t.{m} + EXCLUDED.{m}" for m in rollup.measures)
    return (
        f"{param} AS (INSERT INTO {table} AS t ({columns}) SELECT {columns} "
        f"FROM jsonb_populate_recordset(NULL::{table}, CAST(:{param} AS jsonb)) "
        f"ON CONFLICT ({time_key}, {', '.join(keys)}) DO UPDATE SET {increments})"
    )


def _delete(table: str, param: str) -> str:
    """One tier's rows named in `param` deleted if their count is zero (after the upsert's statement)."""
    rollup, time_key, keys = _tier_of(table)
    match = " AND ".join(f"t.{c} = e.{c}" for c in (time_key, *keys))
    return (
        f"{param} AS (DELETE FROM {table} AS t USING jsonb_populate_recordset(NULL::{table}, CAST(:{param} AS jsonb))"
        f" AS e WHERE {match} AND t.{rollup.measures[0]} = 0)"
    )


# The statements by their tiers (which tiers a batch touches varies little).
_TIER_QUERIES: dict[tuple[Any, tuple[str, ...]], TextClause] = {}


def _tier_rows(
    rollup: Rollup, delta: dict[tuple[Any, ...], list[float]], time_key: str, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    """The daily-tier differences summed to one tier's grain (its time key and keys), in key order so
    that concurrent upserts would lock rows in the same order."""
    summed: dict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0] * len(rollup.measures))
    for (day, unit_id, *rest), values in delta.items():
        named = dict(zip(("unit_id", *rollup.keys), (unit_id, *rest), strict=True))
        time_value = day if time_key == "day" else day.replace(day=1)
        target = summed[(time_value, *(named[k] for k in keys))]
        for i, value in enumerate(values):
            target[i] += value
    return [
        dict(zip((time_key, *keys, *rollup.measures), (*key, *values), strict=True))
        for key, values in sorted(summed.items(), key=lambda kv: tuple(map(str, kv[0])))
        if any(values)
    ]


def _tiers(rollup: Rollup) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(table, time key, other keys) of the three tiers."""
    daily, daily_all, monthly = rollup.tables
    return (
        (daily, "day", ("unit_id", *rollup.keys)),
        (daily_all, "day", rollup.total_keys),
        (monthly, "month", rollup.total_keys),
    )


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
