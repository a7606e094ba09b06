"""A request under a service's prefix is forwarded before FastAPI's router (gateway/forwarding.py): it must
answer, audit, count and fail exactly as the catch-all route did."""

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from aiohttp import web
from starlette.routing import BaseRoute

from gateway.config import GatewaySettings
from gateway.main import create_app
from opsdesk_shared.audit_trail import CHANGES_HEADER
from opsdesk_shared.auth import Role
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import ADMIN_PASSWORD, NO_SERVICES, client_from, serving, started_gateway

PROBLEM = "application/problem+json"
CHANGES = [{"op": "insert", "table": "ticket", "key": ["t-1"], "after": {"title": "打印机"}}]


def settings(env: RunEnvironment, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {"jwt_private_key_file": env.private_key_file, "admin_password": ADMIN_PASSWORD}
    return env.settings(GatewaySettings, **{**values, **NO_SERVICES, **overrides})


@asynccontextmanager
async def ticket_service() -> AsyncIterator[str]:
    """A stand-in intake on a real port: creates a ticket, reporting what it changed as a service does."""

    async def create(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response(
            {"id": "t-1", "status": "new"}, status=201, headers={CHANGES_HEADER: json.dumps(CHANGES)}
        )

    upstream = web.Application()
    upstream.router.add_post("/api/tickets", create)
    async with serving(upstream) as url:
        yield url


def _paths(routes: list[BaseRoute]) -> Iterator[str]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps an included router as one entry
        if included is not None:
            prefix = route.include_context.prefix  # type: ignore[attr-defined]
            yield from (prefix + p for p in _paths(included.routes))
        elif hasattr(route, "path"):
            yield route.path


def test_no_route_of_the_gateways_own_lies_under_a_services_prefix(migrated: RunEnvironment) -> None:
    """Such a route would never be reached: the request would be forwarded before the router saw it."""
    gateway_settings = settings(migrated)
    app = create_app(gateway_settings)
    owned = [p for p in _paths(app.router.routes) if p.startswith("/api/") and p != "/api/{path:path}"]
    assert "/api/auth/login" in owned and "/api/admin/audit-log" in owned  # the walk sees included routers
    prefixes = [prefix for prefix, _ in gateway_settings.upstreams()]
    assert [p for p in owned if any(p == x or p.startswith(x + "/") for x in prefixes)] == []


async def test_a_forwarded_write_is_audited_with_its_changes_answered_and_counted(migrated: RunEnvironment) -> None:
    subject = uuid.uuid4()
    token = migrated.token(Role.HOTLINE_OPERATOR, subject=subject, name="转发测试")
    async with ticket_service() as url, started_gateway(settings(migrated, intake_url=url)) as app:
        async with client_from(app) as client:
            before = (await client.get("/metrics")).text
            created = await client.post(
                "/api/tickets", headers={"Authorization": f"Bearer {token}"}, json={"title": "打印机"}
            )
            after = (await client.get("/metrics")).text
    assert created.status_code == 201, created.text
    assert created.json() == {"id": "t-1", "status": "new"}
    assert CHANGES_HEADER not in created.headers  # the before/after is the auditor's, not the client's
    assert created.headers["X-Request-ID"]
    series = 'opsdesk_http_requests_total{method="POST",route="/api/{path:path}",service="gateway",status="201"}'
    assert _count(after, series) == _count(before, series) + 1
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_gateway")
    try:
        rows = await conn.fetch(
            "SELECT action, status, request_id, changes FROM audit_log WHERE actor_id = $1", subject
        )
    finally:
        await conn.close()
    assert [(r["action"], r["status"], r["request_id"]) for r in rows] == [
        ("tickets.post.ok", 201, created.headers["X-Request-ID"])
    ]
    assert json.loads(rows[0]["changes"]) == CHANGES


def _count(metrics: str, series: str) -> float:
    line = next((line for line in metrics.splitlines() if line.startswith(series + " ")), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


async def test_forwarding_failures_are_the_same_problems(migrated: RunEnvironment) -> None:
    token = {"Authorization": f"Bearer {migrated.token(Role.DISPATCHER)}"}
    async with started_gateway(settings(migrated)) as app, client_from(app) as client:
        down = await client.get("/api/tickets", headers=token)  # intake is not listening
        bad_key = await client.get("/api/sms/messages", headers={"X-API-Key": f"odk_{uuid.uuid4().hex}"})
        too_large = await client.post(
            "/api/tickets", headers={**token, "Content-Length": str(13 * 1024 * 1024)}, content=b"{}"
        )
        nobodys = await client.get("/api/nothing-here", headers=token)
        options = await client.options("/api/tickets", headers=token)
    assert (down.status_code, down.json()["code"], down.headers["Retry-After"]) == (503, "unavailable", "5")
    assert (bad_key.status_code, bad_key.json()["code"]) == (401, "auth.api_key_invalid")
    assert bad_key.headers["WWW-Authenticate"] == "Bearer"
    assert (too_large.status_code, too_large.json()["code"]) == (413, "payload_too_large")
    assert (nobodys.status_code, nobodys.json()["code"]) == (404, "route.not_found")
    assert options.status_code == 405  # not a forwarded method: the router answers, as before
    for answer in (down, bad_key, too_large, nobodys, options):
        assert answer.headers["content-type"] == PROBLEM, answer.text
        assert answer.json()["instance"] == answer.request.url.path
