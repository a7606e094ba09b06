"""Report figures over a read model of 1,000,000 tickets: `GET /api/reports/summary` through the gateway
for the last 365 days and for one week, and last week's report as JSON, XLSX and PDF, beside a bare
`SELECT count(*)` over the same ticket table measured in the same run.

The generator writes ticket and SLA clock facts straight into reporting's database (a million tickets
through events would take the bench an hour), then recomputes every rollup with the same statements
the rebuild uses, so the reports read exactly what they would read in production.
"""

import asyncio
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from opsdesk_shared.db import create_engine, session_factory
from reporting.config import ReportingSettings
from reporting.projections.rollups import ROLLUPS, refresh_all

TICKETS = 1_000_000
UNITS = 150

_UNITS = """
INSERT INTO unit_dim (unit_id, code, name, kind, path)
SELECT id, 'BENCH-' || g, '基准派出所' || g, 'police_station', ARRAY[$1::uuid, id]
FROM (SELECT gen_random_uuid() AS id, g FROM generate_series(1, $2) g) u
"""

# Shapes that look like a year of the desk: mostly faults, tickets older than two days finished (80 %
# closed), arrival within 10 min – 3 h and resolution within 15 min – 7 h, both skewed short so that
# roughly one in eight misses its SLA.
_TICKETS = """
INSERT INTO ticket_fact (ticket_id, number, title, category, priority, channel, unit_id, created_at, day, status,
    status_changed_at, assigned_count, first_arrived_at, resolved_at, resolved_remote, closed_at, rating, reopen_count)
SELECT gen_random_uuid(), 'B' || lpad(g::text, 7, '0'), '基准工单',
    (ARRAY['fault','fault','fault','consultation','service_request','complaint'])[1 + floor(r1 * 6)::int],
    (ARRAY['P1','P2','P3','P3','P4'])[1 + floor(r2 * 5)::int],
    (ARRAY['hotline','hotline','web','web','api'])[1 + floor(r3 * 5)::int],
    ($1::uuid[])[1 + floor(r4 * $2)::int],
    created_at, (created_at AT TIME ZONE 'Asia/Shanghai')::date,
    CASE WHEN open THEN 'in_progress' WHEN r5 < 0.8 THEN 'closed' ELSE 'resolved' END,
    created_at,
    CASE WHEN r6 >= 0.2 THEN 1 ELSE 0 END,
    CASE WHEN r6 >= 0.2 THEN created_at + (600 + r7 ^ 3 * 10200) * interval '1 second' END,
    CASE WHEN NOT open THEN created_at + (900 + r7 ^ 3 * 10200 + r8 ^ 3 * 14400) * interval '1 second' END,
    CASE WHEN NOT open THEN r6 < 0.2 END,
    CASE WHEN NOT open AND r5 < 0.8 THEN created_at + interval '1 day' END,
    CASE WHEN NOT open AND r5 < 0.5 THEN 1 + floor(r8 * 5)::int END,
    CASE WHEN r5 < 0.03 THEN 1 ELSE 0 END
FROM (SELECT g, created_at, created_at > now() - interval '2 days' AND r5 >= 0.5 AS open,
             r1, r2, r3, r4, r5, r6, r7, r8
      FROM (SELECT g, now() - random() * interval '365 days' AS created_at,
                   random() r1, random() r2, random() r3, random() r4, random() r5, random() r6, random() r7,
                   random() r8
            FROM generate_series(1, $3) g) raw) s
"""

_CLOCKS = """
INSERT INTO sla_clock_fact (ticket_id, metric, started_at, due_at, breached_at, met_at, cancelled_at)
SELECT ticket_id, 'arrival', created_at, created_at + interval '2 hours',
    CASE WHEN first_arrived_at > created_at + interval '2 hours' THEN created_at + interval '2 hours' END,
    CASE WHEN first_arrived_at <= created_at + interval '2 hours' THEN first_arrived_at END,
    CASE WHEN resolved_remote THEN resolved_at END
FROM ticket_fact WHERE number LIKE 'B%'
UNION ALL
SELECT ticket_id, 'resolution', created_at, created_at + interval '4 hours',
    CASE WHEN coalesce(resolved_at, now()) > created_at + interval '4 hours' THEN created_at + interval '4 hours' END,
    CASE WHEN resolved_at <= created_at + interval '4 hours' THEN resolved_at END,
    NULL
FROM ticket_fact WHERE number LIKE 'B%'
"""


async def fill(dsn: str) -> dict[str, float]:
    """A million tickets and two million clocks, then every rollup; returns how long each step took."""
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        root = await conn.fetchval("SELECT gen_random_uuid()")
        await conn.execute(
            "INSERT INTO unit_dim (unit_id, code, name, kind, path) "
            "VALUES ($1, 'BENCH', '基准市局', 'bureau', ARRAY[$1::uuid])",
            root,
        )
        await conn.execute(_UNITS, root, UNITS)
        units = [r["unit_id"] for r in await conn.fetch("SELECT unit_id FROM unit_dim WHERE code LIKE 'BENCH-%'")]
        await conn.execute(_TICKETS, units, len(units), TICKETS)
        await conn.execute(_CLOCKS)
        await conn.execute("ANALYZE")
        timings["generate_facts_s"] = time.perf_counter() - started
    finally:
        await conn.close()
    engine = create_engine(ReportingSettings())
    try:
        started = time.perf_counter()
        async with session_factory(engine)() as session, session.begin():
            await refresh_all(session)
        timings["recompute_rollups_s"] = time.perf_counter() - started
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(dsn)
    try:
        tables = [t for rollup in ROLLUPS for t in rollup.tables]
        for table in tables:
            await conn.execute(f"VACUUM ANALYZE {table}")
        timings["rollup_rows"] = float(
            await conn.fetchval("SELECT " + " + ".join(f"(SELECT count(*) FROM {t})" for t in tables))
        )
    finally:
        await conn.close()
    return timings


async def count_star(dsn: str, n: int) -> list[float]:
    conn = await asyncpg.connect(dsn)
    try:
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            await conn.fetchval("SELECT count(*) FROM ticket_fact")
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        await conn.close()


def timed_gets(client: httpx.Client, path: str, n: int, **params: Any) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        resp = client.get(path, params=params)
        samples.append(time.perf_counter() - started)
        assert resp.status_code == 200, resp.text[:300]
    return samples


def measure(dsn: str, url: str, supervisor_password: str, summary: Callable[[list[float]], dict[str, float]]) -> dict:
    result: dict[str, Any] = {"tickets": TICKETS, **asyncio.run(fill(dsn))}
    client = httpx.Client(base_url=url, timeout=120)
    login = client.post("/api/auth/login", json={"username": "supervisor", "password": supervisor_password})
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    today = date.today()
    year = {"from": (today - timedelta(days=364)).isoformat(), "to": today.isoformat()}
    last_week = today - timedelta(days=7)
    week_label = f"{last_week.isocalendar()[0]}-W{last_week.isocalendar()[1]:02d}"
    week = {"from": (last_week - timedelta(days=last_week.weekday())).isoformat()}
    week["to"] = (date.fromisoformat(week["from"]) + timedelta(days=6)).isoformat()
    timed_gets(client, "/api/reports/summary", 2, **year)  # warm-up
    result["summary_year"] = summary(timed_gets(client, "/api/reports/summary", 30, **year))
    result["summary_week"] = summary(timed_gets(client, "/api/reports/summary", 30, **week))
    result["reference_count_star"] = summary(asyncio.run(count_star(dsn, 30)))
    result["weekly_json"] = summary(timed_gets(client, "/api/reports/weekly", 5, week=week_label))
    result["weekly_xlsx"] = summary(timed_gets(client, "/api/reports/weekly", 5, week=week_label, format="xlsx"))
    result["weekly_pdf"] = summary(timed_gets(client, "/api/reports/weekly", 3, week=week_label, format="pdf"))
    return result
