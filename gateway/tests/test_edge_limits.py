"""What the edge does about callers who are nobody: rate limits keyed on who was verified (or the address),
shared by every gateway replica through Redis; failures of unauthenticated writes audited as one entry per
address and window instead of a row each; `/api/health` fanning out to the services once per cache period."""

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
import pytest
import redis.asyncio
from aiohttp import web

from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually

from .conftest import ADMIN_PASSWORD, NO_SERVICES, client_from, serving, started_gateway


def somebody() -> str:
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def settings(env: RunEnvironment, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {"jwt_private_key_file": env.private_key_file, "admin_password": ADMIN_PASSWORD}
    return env.settings(GatewaySettings, **{**values, **NO_SERVICES, **overrides})


async def test_a_new_made_up_api_key_per_request_stays_within_the_callers_limit(migrated: RunEnvironment) -> None:
    async with started_gateway(settings(migrated, rate_limit="3/minute")) as app, client_from(app, somebody()) as c:
        answers = [
            (await c.get("/api/sms/messages", headers={"X-API-Key": f"odk_{uuid.uuid4().hex}"})).status_code
            for _ in range(4)
        ]
    assert answers == [401, 401, 401, 429]


async def test_every_gateway_replica_counts_against_the_same_limit(migrated: RunEnvironment) -> None:
    replica_settings = settings(migrated, rate_limit="3/minute")
    token = {"Authorization": f"Bearer {migrated.token('dispatcher')}"}
    async with (
        started_gateway(replica_settings) as first,
        started_gateway(replica_settings) as second,
        client_from(first) as a,
        client_from(second) as b,
    ):
        answers = [(await c.get("/api/admin/units", headers=token)).status_code for c in (a, b, a, b)]
    assert answers == [200, 200, 200, 429]


async def test_without_redis_the_gateway_does_not_start_and_says_why(migrated: RunEnvironment) -> None:
    with pytest.raises(RuntimeError, match=r"Redis is not reachable at redis://127\.0\.0\.1:1/0.*OPSDESK_REDIS_URL"):
        async with started_gateway(settings(migrated, redis_url="redis://127.0.0.1:1/0")):
            pass


async def audit_rows(env: RunEnvironment, address: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(f"{env.servers.database_url}/{env.database_prefix}_gateway")
    try:
        return await conn.fetch("SELECT action, status, changes FROM audit_log WHERE client_ip = $1", address)
    finally:
        await conn.close()


def counted(rows: list[asyncpg.Record]) -> int:
    """Requests the aggregate entries among `rows` account for."""
    aggregates = [r for r in rows if r["action"] == "unauthenticated.failures"]
    return sum(entry["count"] for r in aggregates for entry in json.loads(r["changes"]))


async def test_unauthenticated_write_failures_are_audited_once_per_address_and_window(
    migrated: RunEnvironment,
) -> None:
    stranger = somebody()
    forged = {"Authorization": "Bearer forged.token.value"}
    async with (
        started_gateway(settings(migrated, unauthenticated_audit_window_s=0.3)) as app,
        client_from(app, stranger) as c,
    ):
        answers = [
            *[(await c.post("/api/admin/units", headers=forged, json={})).status_code for _ in range(6)],
            *[(await c.post("/api/nothing-here", json={})).status_code for _ in range(3)],
            *[
                (await c.post("/api/auth/login", json={"username": "nobody", "password": "wrong"})).status_code
                for _ in range(2)
            ],
        ]

        async def all_counted() -> list[asyncpg.Record] | None:
            rows = await audit_rows(migrated, stranger)
            return rows if counted(rows) >= len(answers) else None

        rows = await eventually(all_counted)
    assert answers == [401] * 6 + [404] * 3 + [401] * 2
    assert rows and {r["action"] for r in rows} == {"unauthenticated.failures"}
    assert counted(rows) == 11
    breakdown: dict[tuple[str, int], int] = {}
    for row in rows:
        for entry in json.loads(row["changes"]):
            key = (entry["action"], entry["status"])
            breakdown[key] = breakdown.get(key, 0) + entry["count"]
    assert breakdown == {
        ("admin.units.post.denied", 401): 6,
        ("nothing-here.post.failed", 404): 3,
        ("login.denied", 401): 2,
    }


@asynccontextmanager
async def counting_service() -> AsyncIterator[tuple[str, list[str]]]:
    """A stand-in upstream on a real port that answers readiness probes and counts them: how often the
    gateway asks is only visible at the service's end."""
    probes: list[str] = []

    async def ready(request: web.Request) -> web.Response:
        probes.append(request.path)
        return web.json_response({"status": "ready"})

    upstream = web.Application()
    upstream.router.add_get("/readyz", ready)
    async with serving(upstream) as url:
        yield url, probes


async def test_health_asks_the_services_once_per_cache_period_however_many_ask_it(migrated: RunEnvironment) -> None:
    async with counting_service() as (url, probes):
        async with (
            started_gateway(settings(migrated, intake_url=url, health_cache_s=60)) as app,
            client_from(app, somebody()) as c,
        ):
            together = await asyncio.gather(*(c.get("/api/health") for _ in range(5)))
            one_by_one = [await c.get("/api/health") for _ in range(5)]
    assert all(r.json()["services"]["intake"]["status"] == "ready" for r in [*together, *one_by_one])
    assert probes == ["/readyz"]


@asynccontextmanager
async def own_redis() -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """A Redis server of this test alone (the machine's is shared), which the test may stop."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = await asyncio.create_subprocess_exec(
        *["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=asyncio.subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:

        async def answers() -> bool:
            client = redis.asyncio.Redis.from_url(url)
            try:
                # redis-py types replies as "awaitable or not" for its two clients; this one is the asyncio one.
                return bool(await cast(Awaitable[bool], client.ping()))
            except redis.RedisError:
                return False
            finally:
                await client.aclose()

        await eventually(answers)
        yield url, server
    finally:
        if server.returncode is None:
            server.terminate()
            await server.wait()


async def test_when_redis_goes_away_requests_still_pass_and_the_gateway_says_so(
    migrated: RunEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    token = {"Authorization": f"Bearer {migrated.token('dispatcher')}"}
    async with own_redis() as (url, server):
        async with started_gateway(settings(migrated, redis_url=url)) as app, client_from(app, somebody()) as c:
            before = await c.get("/api/admin/units", headers=token)
            server.terminate()
            await server.wait()
            during = [(await c.get("/api/admin/units", headers=token)).status_code for _ in range(3)]
    assert before.status_code == 200
    # The sign-in lockout (PostgreSQL) still holds; the hotline must not stop because a counter store did.
    assert during == [200, 200, 200]
    logged = capsys.readouterr()
    assert (logged.out + logged.err).count("rate_limit_storage_unavailable") == 1  # once, not per request
