"""Administration with separated duties, API keys, the audit log, and what the edge refuses."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import asyncpg
import httpx

from opsdesk_shared.testing.plugin import RunEnvironment

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import LoginAs

PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_unit_tree_paths_and_unit_created_event_in_outbox(
    client: httpx.AsyncClient, admin_token: str, migrated: RunEnvironment
) -> None:
    code = f"T{uuid.uuid4().hex[:6]}"
    parent = await client.post(
        "/api/admin/units", headers=bearer(admin_token), json={"code": code, "name": "测试分局", "kind": "sub_bureau"}
    )
    assert parent.status_code == 201, parent.text
    child = await client.post(
        "/api/admin/units",
        headers=bearer(admin_token),
        json={"code": code + "-1", "name": "测试派出所", "kind": "police_station", "parent_id": parent.json()["id"]},
    )
    assert child.json()["path"] == [parent.json()["id"], child.json()["id"]]
    duplicate = await client.post(
        "/api/admin/units", headers=bearer(admin_token), json={"code": code, "name": "重复", "kind": "sub_bureau"}
    )
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "code"
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_gateway")
    try:
        rows = await conn.fetch("SELECT envelope FROM outbox_message WHERE type = 'unit.created'")
    finally:
        await conn.close()
    assert child.json()["id"] in {json.loads(r["envelope"])["data"]["unit_id"] for r in rows}


async def test_only_a_security_admin_grants_privileged_roles(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[str]], login_as: LoginAs
) -> None:
    plain_admin = await make_user(["admin"])
    token = await login_as(plain_admin, "Right-passw0rd")
    refused = await client.post(
        "/api/admin/users",
        headers=bearer(token),
        json={
            "username": f"x{uuid.uuid4().hex[:8]}",
            "password": "Right-passw0rd",
            "display_name": "x",
            "roles": ["auditor"],
        },
    )
    assert refused.status_code == 403 and refused.json()["field"] == "roles"
    allowed = await client.post(
        "/api/admin/users",
        headers=bearer(token),
        json={
            "username": f"x{uuid.uuid4().hex[:8]}",
            "password": "Right-passw0rd",
            "display_name": "x",
            "roles": ["engineer"],
        },
    )
    assert allowed.status_code == 201


async def test_roles_outside_admin_cannot_manage_users(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[str]], login_as: LoginAs
) -> None:
    token = await login_as(await make_user(["dispatcher"]), "Right-passw0rd")
    assert (await client.get("/api/admin/users", headers=bearer(token))).status_code == 403
    assert (await client.get("/api/admin/audit-log", headers=bearer(token))).status_code == 403


async def test_audit_log_records_writes_and_only_the_auditor_reads_it(
    client: httpx.AsyncClient, admin_token: str, make_user: Callable[..., Awaitable[str]], login_as: LoginAs
) -> None:
    await make_user(["requester"])
    assert (await client.get("/api/admin/audit-log", headers=bearer(admin_token))).status_code == 403
    # An auditor account has to be granted by a security admin: the bootstrap admin is one.
    username = f"aud{uuid.uuid4().hex[:6]}"
    created = await client.post(
        "/api/admin/users",
        headers=bearer(admin_token),
        json={"username": username, "password": "Right-passw0rd", "display_name": "审计", "roles": ["auditor"]},
    )
    assert created.status_code == 201
    token = await login_as(username, "Right-passw0rd")
    log = await client.get("/api/admin/audit-log", headers=bearer(token))
    assert log.status_code == 200
    actions = [e["action"] for e in log.json()["items"]]
    assert "admin.users.post.ok" in actions and "login.ok" in actions


async def test_api_key_is_shown_once_and_revocation_stops_it(client: httpx.AsyncClient, admin_token: str) -> None:
    created = await client.post(
        "/api/admin/api-keys", headers=bearer(admin_token), json={"name": "居住证系统", "scopes": ["sms:send"]}
    )
    assert created.status_code == 201
    key = created.json()["key"]
    listed = (await client.get("/api/admin/api-keys", headers=bearer(admin_token))).json()
    assert all("key" not in k for k in listed)
    await client.delete(f"/api/admin/api-keys/{created.json()['id']}", headers=bearer(admin_token))
    revoked = await client.get("/api/sms/messages", headers={"X-API-Key": key})
    assert revoked.status_code == 401


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient, admin_token: str) -> None:
    resp = await client.get("/api/nothing-here", headers=bearer(admin_token))
    assert resp.status_code == 404 and resp.headers["content-type"] == PROBLEM


async def test_an_unreachable_service_answers_503_with_retry_after(client: httpx.AsyncClient, admin_token: str) -> None:
    # No service processes run in this test module: the proxy cannot reach intake.
    resp = await client.get("/api/tickets", headers=bearer(admin_token))
    assert resp.status_code == 503
    assert resp.headers["retry-after"] and resp.headers["content-type"] == PROBLEM


async def test_oversized_body_is_refused_before_it_reaches_a_service(
    client: httpx.AsyncClient, admin_token: str
) -> None:
    resp = await client.post(
        "/api/tickets",
        headers={**bearer(admin_token), "content-type": "application/json"},
        content=b"x" * (13 * 1024 * 1024),
    )
    assert resp.status_code == 413 and resp.headers["content-type"] == PROBLEM


async def test_health_reports_each_service(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/health")
    assert resp.status_code == 503  # the services are not running in this module
    assert resp.json()["services"]["gateway"]["status"] == "ready"
    assert resp.json()["services"]["intake"]["status"] == "unavailable"


async def test_callers_over_the_rate_limit_get_429_with_retry_after(migrated: RunEnvironment) -> None:
    from asgi_lifespan import LifespanManager

    from gateway.config import GatewaySettings
    from gateway.main import create_app

    app = create_app(
        migrated.settings(GatewaySettings, jwt_private_key_file=migrated.private_key_file, rate_limit="3/minute")
    )
    async with LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gw") as c:
            token = bearer(migrated.token("dispatcher"))
            answers = [(await c.get("/api/admin/units", headers=token)).status_code for _ in range(4)]
            limited = await c.get("/api/admin/units", headers=token)
            other = await c.get("/api/admin/units", headers=bearer(migrated.token("dispatcher")))
    assert answers[:3] == [200, 200, 200] and answers[3] == 429
    assert limited.headers["retry-after"] and limited.headers["content-type"] == PROBLEM
    assert other.status_code == 200  # the limit is per caller
