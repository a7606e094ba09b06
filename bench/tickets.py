"""Ticket figures through the gateway, each beside its reference measured in the same run:

- throughput: 32 concurrent clients create tickets for 10 s; the rate counts only tickets whose every
  consequence happened (the acceptance SMS at the Twilio server, SLA clocks in dispatch, the row in
  reporting). Reference: the same two rows (ticket + outbox event) inserted with raw asyncpg by 32
  connections into copies of intake's own tables (same columns, indexes and defaults).
- latency at 100 tickets/s (open loop): from `POST /api/tickets` to the SMS reaching the Twilio server.
- SLA timer when saturated: a throughput run with deadlines falling due during it, and how late each
  breach fires while the cores are busy with tickets.
- reads: the same authenticated `GET /api/tickets/{id}` through the gateway and straight to intake.

Each requester has a number of their own, so the per-recipient SMS limit never holds a message back.
"""

import asyncio
import time
import uuid
from typing import Any

import aiohttp
import asyncpg
import httpx

from bench.load import Load, closed_loop, open_loop
from bench.sla_timer import insert_clocks

CLIENTS = 32


def _body(unit: str, phone: str) -> dict[str, Any]:
    return {
        "title": "基准测试：打印机无法打印",
        "description": "benchmark",
        "category": "fault",
        "priority": "P3",
        "unit_id": unit,
        "requester_name": "测试",
        "requester_phone": phone,
        "channel": "web",
    }


def _phone(series: int, i: int) -> str:
    return f"137{series}{i:07d}"


async def _session(url: str, password: str) -> tuple[httpx.AsyncClient, str]:
    limits = httpx.Limits(max_connections=CLIENTS * 2, max_keepalive_connections=CLIENTS * 2)
    client = httpx.AsyncClient(base_url=url, timeout=30, limits=limits)
    login = await client.post("/api/auth/login", json={"username": "operator", "password": password})
    client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    units = (await client.get("/api/admin/units")).json()
    return client, next(u["id"] for u in units if u["code"] == "BJ-CY-WJ")


async def _sink_count(sink_url: str) -> int:
    async with httpx.AsyncClient(timeout=60) as c:
        return int((await c.get(f"{sink_url}/_sink/messages?count_only=true")).json()["count"])


async def _sink_arrivals(sink_url: str, prefix: str) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=120) as c:
        messages = (await c.get(f"{sink_url}/_sink/messages")).json()["messages"]
    arrivals: dict[str, float] = {}
    for m in messages:
        if m["to"].startswith(prefix):
            arrivals.setdefault(m["to"], m["received_at"])
    return arrivals


async def _all_consumed(dsns: dict[str, str], ids: list[uuid.UUID], deadline_s: float) -> float:
    """Seconds (wall clock) at which dispatch has clocks and reporting a row for every ticket."""
    dispatch, reporting = await asyncpg.connect(dsns["dispatch"]), await asyncpg.connect(dsns["reporting"])
    try:
        stop = time.monotonic() + deadline_s
        while time.monotonic() < stop:
            clocked = await dispatch.fetchval(
                "SELECT count(DISTINCT ticket_id) FROM sla_clock WHERE ticket_id = ANY($1)", ids
            )
            counted = await reporting.fetchval("SELECT count(*) FROM ticket_fact WHERE ticket_id = ANY($1)", ids)
            if clocked == len(ids) and counted == len(ids):
                return time.time()
            await asyncio.sleep(0.1)
        raise RuntimeError(f"after {deadline_s} s only {clocked} tickets had clocks and {counted} a report row")
    finally:
        await dispatch.close()
        await reporting.close()


async def throughput(url: str, sink_url: str, password: str, dsns: dict[str, str], series: int) -> dict[str, Any]:
    client, unit = await _session(url, password)
    await client.aclose()
    ids: list[uuid.UUID] = []
    posted: dict[str, float] = {}  # the requester's number -> when its POST was sent
    # The load itself through aiohttp's client: httpx spent 5-6 ms of CPU per POST here (40 % of a core at 70
    # POST/s), CPU the system under test then lacked on these two cores. aiohttp's costs a fraction of that.
    connector = aiohttp.TCPConnector(limit=CLIENTS * 2)
    headers = {"Authorization": client.headers["Authorization"]}
    async with aiohttp.ClientSession(url, connector=connector, headers=headers) as session:

        async def create(i: int) -> bool:
            phone = _phone(series, i)
            posted["+86" + phone] = time.time()
            async with session.post("/api/tickets", json=_body(unit, phone)) as resp:
                if resp.status != 201:
                    return False
                ids.append(uuid.UUID((await resp.json())["id"]))
                return True

        started_wall = time.time()
        load = await closed_loop(create, clients=CLIENTS, duration_s=10)
        load_ended_wall = time.time()
    consumed_at = await _all_consumed(dsns, ids, 180)
    prefix = "+86" + _phone(series, 0)[:4]
    deadline = time.monotonic() + 180
    while len(arrivals := await _sink_arrivals(sink_url, prefix)) < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(arrivals)} of {len(ids)} acceptance SMS reached the Twilio server")
        await asyncio.sleep(0.5)
    done_at = max(consumed_at, max(arrivals.values()))
    return {
        "tickets": len(ids),
        "errors": load.errors,
        "accepted_per_s": load.rate,
        "all_consequences_per_s": len(ids) / (done_at - started_wall),
        "latencies_s": load.latencies_s,
        # How far the consequences trail the answers: each ticket's POST -> its SMS at the provider, and how
        # long after the last POST the last consequence (SMS, clocks, report row) landed.
        "to_sms_latencies_s": [arrivals[to] - began for to, began in posted.items() if to in arrivals],
        "drained_after_load_s": done_at - load_ended_wall,
    }


async def _running_clocks(dispatch_dsn: str, n: int, first_due_s: float, last_due_s: float) -> list[uuid.UUID]:
    """`n` clocks about to breach, falling due one after another between `first_due_s` and `last_due_s` from now."""
    conn = await asyncpg.connect(dispatch_dsn)
    try:
        step = (last_due_s - first_due_s) / max(n - 1, 1)
        due = f"clock_timestamp() + make_interval(secs => {first_due_s} + (g - 1) * {step})"
        return await insert_clocks(conn, n, due, "arrival")
    finally:
        await conn.close()


async def _breach_lateness(dispatch_dsn: str, clock_ids: list[uuid.UUID], deadline_s: float) -> list[float]:
    """Seconds from each clock's due instant to its sla.breached being confirmed by RabbitMQ."""
    conn = await asyncpg.connect(dispatch_dsn)
    try:
        keys = [str(c) for c in clock_ids]
        stop = time.monotonic() + deadline_s
        query = (
            "SELECT extract(epoch FROM published_at - (envelope->'data'->>'due_at')::timestamptz) AS late "
            "FROM outbox_message WHERE type = 'sla.breached' AND published_at IS NOT NULL "
            "AND envelope->'data'->>'clock_id' = ANY($1)"
        )
        while len(rows := await conn.fetch(query, keys)) < len(keys):
            if time.monotonic() > stop:
                raise RuntimeError(f"only {len(rows)} of {len(keys)} breaches published within {deadline_s} s")
            await asyncio.sleep(0.2)
        return [float(r["late"]) for r in rows]
    finally:
        await conn.close()


async def sla_lateness_when_saturated(
    url: str, sink_url: str, password: str, dsns: dict[str, str], series: int, clocks: int = 50
) -> dict[str, Any]:
    """A throughput run with `clocks` deadlines falling due while the 32 clients saturate the cores: the
    SLA timer (dispatch's worker, at normal priority) must still fire each within its bound (SPEC §5, 1 s)."""
    clock_ids = await _running_clocks(dsns["dispatch"], clocks, 2.0, 9.0)
    measured = await throughput(url, sink_url, password, dsns, series)
    return {
        "clocks": clocks,
        "tickets_per_s": measured["accepted_per_s"],
        "lateness_s": await _breach_lateness(dsns["dispatch"], clock_ids, 60),
    }


async def raw_inserts(intake_dsn: str) -> Load:
    """The reference: ticket + outbox rows, one transaction each, 32 connections, 10 s, into copies of
    intake's tables made from real rows the load just wrote."""
    setup = await asyncpg.connect(intake_dsn)
    try:
        await setup.execute("DROP TABLE IF EXISTS bench_ticket, bench_outbox")
        await setup.execute("CREATE TABLE bench_ticket (LIKE ticket INCLUDING ALL)")
        await setup.execute("CREATE TABLE bench_outbox (LIKE outbox_message INCLUDING ALL)")
        templates = {}
        for table, source in (("bench_ticket", "ticket"), ("bench_outbox", "outbox_message")):
            columns = [
                r["column_name"]
                for r in await setup.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                    "AND is_generated = 'NEVER' AND column_name <> 'seq' ORDER BY ordinal_position",
                    source,
                )
            ]
            row = await setup.fetchrow(f"SELECT {', '.join(columns)} FROM {source} ORDER BY created_at DESC LIMIT 1")
            placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
            templates[table] = (
                columns,
                dict(row),
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
            )
    finally:
        await setup.close()
    pool = await asyncpg.create_pool(intake_dsn, min_size=CLIENTS, max_size=CLIENTS)
    try:

        async def insert(i: int) -> bool:
            async with pool.acquire() as conn, conn.transaction():
                for columns, row, sql in templates.values():
                    values = {**row, "id": uuid.uuid4()}
                    if "number" in values:
                        values["number"] = f"B{i:012d}"
                    await conn.execute(sql, *(values[c] for c in columns))
            return True

        return await closed_loop(insert, clients=CLIENTS, duration_s=10)
    finally:
        await pool.close()
        cleanup = await asyncpg.connect(intake_dsn)
        await cleanup.execute("DROP TABLE IF EXISTS bench_ticket, bench_outbox")
        await cleanup.close()


async def latency_at_rate(url: str, sink_url: str, password: str, series: int, rate: float, count: int) -> dict:
    client, unit = await _session(url, password)
    started: dict[str, float] = {}
    try:

        async def create(i: int) -> bool:
            phone = _phone(series, i)
            started["+86" + phone] = time.time()
            resp = await client.post("/api/tickets", json=_body(unit, phone))
            return resp.status_code == 201

        load = await open_loop(create, rate_per_s=rate, count=count)
    finally:
        await client.aclose()
    prefix = "+86" + _phone(series, 0)[:4]
    deadline = time.monotonic() + 120
    while len(arrivals := await _sink_arrivals(sink_url, prefix)) < count - load.errors:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(arrivals)} of {count} SMS arrived")
        await asyncio.sleep(0.5)
    return {
        "offered_per_s": rate,
        "achieved_per_s": load.rate,
        "errors": load.errors,
        "post_latencies_s": load.latencies_s,
        "to_sms_latencies_s": [arrivals[to] - began for to, began in started.items() if to in arrivals],
    }


async def reads(url: str, intake_url: str, password: str) -> dict[str, Any]:
    """Closed loop, 32 clients, 5 s each way, alternating three times."""
    client, unit = await _session(url, password)
    try:
        ticket = (await client.post("/api/tickets", json=_body(unit, _phone(9, 0)))).json()
        token = client.headers["Authorization"]
    finally:
        await client.aclose()
    results: dict[str, list[float]] = {"gateway": [], "direct": []}
    latencies: dict[str, list[float]] = {"gateway": [], "direct": []}
    for _ in range(3):
        for name, base in (("gateway", url), ("direct", intake_url)):
            limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
            async with httpx.AsyncClient(
                base_url=base, timeout=30, limits=limits, headers={"Authorization": token}
            ) as c:

                async def get(_: int, c: httpx.AsyncClient = c) -> bool:
                    return (await c.get(f"/api/tickets/{ticket['id']}")).status_code == 200

                load = await closed_loop(get, clients=CLIENTS, duration_s=5)
            results[name].append(load.rate)
            latencies[name] += load.latencies_s
    return {"rates": results, "latencies_s": latencies}
