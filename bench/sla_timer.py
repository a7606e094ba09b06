"""SLA timer figures: how late warnings/breaches fire with 100,000 running clocks, and how fast a burst
of simultaneous deadlines drains, with two real `dispatch worker` processes sharing the work.

Lateness = the instant an event was committed to the outbox (and then confirmed by RabbitMQ) minus the
instant the clock fell due. The contract's target is 1 s (SPEC §5).
"""

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import asyncpg

from devstack.launch import start, stop
from devstack.stack import Process

DEFAULT_POLICY = "00000000-0000-4000-8000-000000000001"
BACKGROUND_CLOCKS = 100_000
SPREAD_CLOCKS = 1_000  # due one by one over a minute
SPREAD_S = 60
IDLE_WINDOW_S = 5  # CPU measured while nothing is due
BURST_CLOCKS = 10_000  # all due at the same instant


async def insert_clocks(conn: asyncpg.Connection, n: int, due_sql: str, metric: str) -> list[uuid.UUID]:
    """Running clocks whose warning has passed, so the next thing each does is breach at `due_sql` (which may
    use `g`, the clock's number from 1 to n). Returns their ids."""
    rows = await conn.fetch(
        f"""
        INSERT INTO sla_clock (id, ticket_id, policy_id, metric, state, calendar, target_s, warn_ratio,
                               started_at, due_at, warn_at, warned_at, next_fire_at, paused_seconds)
        SELECT gen_random_uuid(), gen_random_uuid(), '{DEFAULT_POLICY}', '{metric}', 'running', '24x7', 7200, 0.75,
               d - interval '2 hours', d, d - interval '30 minutes', now(), d, 0
        FROM (SELECT {due_sql} AS d FROM generate_series(1, {n}) AS g) AS due
        RETURNING id
        """
    )
    return [r["id"] for r in rows]


async def _explain_ms(conn: asyncpg.Connection, sql: str) -> float:
    plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
    return float(json.loads(plan)[0]["Execution Time"])


async def _wait_fired(conn: asyncpg.Connection, metric: str, n: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        published = await conn.fetchval(
            "SELECT count(*) FROM outbox_message WHERE type = 'sla.breached' AND published_at IS NOT NULL "
            "AND envelope->'data'->>'metric' = $1",
            metric,
        )
        if published >= n:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"only {published} of {n} '{metric}' breaches published within {timeout_s} s")


async def _lateness(conn: asyncpg.Connection, metric: str) -> tuple[list[float], list[float]]:
    rows = await conn.fetch(
        """
        SELECT extract(epoch FROM (envelope->'data'->>'fired_at')::timestamptz
                                  - (envelope->'data'->>'due_at')::timestamptz) AS fired,
               extract(epoch FROM published_at - (envelope->'data'->>'due_at')::timestamptz) AS published
        FROM outbox_message WHERE type = 'sla.breached' AND envelope->'data'->>'metric' = $1
        """,
        metric,
    )
    return [float(r["fired"]) for r in rows], [float(r["published"]) for r in rows]


async def _cpu_percent(pids: list[int], window_s: float) -> float:
    """CPU used by these processes over the window, in % of one core (from /proc/<pid>/stat)."""

    def ticks() -> int:
        total = 0
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    hz = os.sysconf("SC_CLK_TCK")
    before, started = ticks(), time.monotonic()
    await asyncio.sleep(window_s)
    return 100 * (ticks() - before) / hz / (time.monotonic() - started)


def _start_workers(env: Mapping[str, str], log_dir: Path, n: int) -> list[subprocess.Popen[bytes]]:
    worker = Process("dispatch-worker", [sys.executable, "-m", "dispatch", "worker"])
    return [start(worker, env, log_dir / f"bench-dispatch-worker-{i}.log", cwd=Path.cwd()) for i in range(n)]


async def measure(dsn: str, env: Mapping[str, str], log_dir: Path, summary: Any) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        # 100,000 clocks running in the background, due over the next 30 days: the timer must not care.
        await insert_clocks(
            conn, BACKGROUND_CLOCKS, "now() + interval '1 day' + random() * interval '30 days'", "resolution"
        )
        await conn.execute("ANALYZE sla_clock")
        due_query = (
            "SELECT id FROM sla_clock WHERE next_fire_at <= now() "
            "ORDER BY next_fire_at LIMIT 500 FOR UPDATE SKIP LOCKED"
        )
        probe_ms = await _explain_ms(conn, due_query)
        next_ms = await _explain_ms(conn, "SELECT min(next_fire_at) FROM sla_clock WHERE next_fire_at IS NOT NULL")
        running = await conn.fetchval("SELECT count(*) FROM sla_clock WHERE next_fire_at IS NOT NULL")

        workers = _start_workers(env, log_dir, 2)
        await asyncio.sleep(3)  # both workers up and idle, waiting on the next due instant
        idle_cpu = await _cpu_percent([w.pid for w in workers], IDLE_WINDOW_S)

        # Spread: 1,000 deadlines one after another over a minute, starting 2 s from now.
        await insert_clocks(
            conn,
            SPREAD_CLOCKS,
            f"clock_timestamp() + interval '2 seconds' + g * interval '{SPREAD_S / SPREAD_CLOCKS} seconds'",
            "arrival",
        )
        await _wait_fired(conn, "arrival", SPREAD_CLOCKS, SPREAD_S + 60)
        spread_fired, spread_published = await _lateness(conn, "arrival")
        doubled = await conn.fetchval(
            "SELECT count(*) - count(DISTINCT envelope->'data'->>'clock_id') FROM outbox_message "
            "WHERE type = 'sla.breached'"
        )

        # Burst: 10,000 deadlines at the same instant, 2 s from now.
        await insert_clocks(
            conn, BURST_CLOCKS, "date_trunc('second', clock_timestamp()) + interval '3 seconds'", "response"
        )
        await _wait_fired(conn, "response", BURST_CLOCKS, 120)
        burst_fired, burst_published = await _lateness(conn, "response")
    finally:
        stop(workers)
        await conn.close()
    return {
        "running_clocks": running,
        "spread_clocks": SPREAD_CLOCKS,
        "spread_over_s": SPREAD_S,
        "idle_worker_cpu_percent": idle_cpu,
        "breaches_fired_twice": doubled,
        "due_query_ms_at_100k": probe_ms,
        "next_due_query_ms_at_100k": next_ms,
        "spread_breach_lateness_committed": summary(spread_fired),
        "spread_breach_lateness_published": summary(spread_published),
        "burst_clocks": BURST_CLOCKS,
        "burst_all_committed_after_s": max(burst_fired),
        "burst_all_published_after_s": max(burst_published),
        "burst_committed_per_s": BURST_CLOCKS / max(max(burst_fired), 1e-3),
        "burst_breach_lateness_published": summary(burst_published),
    }
