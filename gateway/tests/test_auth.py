"""Login, lockout, token refresh and rotation, through the gateway's HTTP API."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from opsdesk_shared.testing.plugin import RunEnvironment

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import LoginAs

PROBLEM = "application/problem+json"


async def test_login_returns_bearer_tokens_that_services_accept(client: httpx.AsyncClient, admin_token: str) -> None:
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {admin_token}"})
    assert me.status_code == 200
    assert set(me.json()["roles"]) == {"admin", "security_admin"}


async def test_wrong_password_is_401_problem_without_saying_whether_user_exists(client: httpx.AsyncClient) -> None:
    unknown = await client.post("/api/auth/login", json={"username": "nobody-here", "password": "Whatever1!"})
    wrong = await client.post("/api/auth/login", json={"username": "admin", "password": "Wrong-passw0rd"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.headers["content-type"] == wrong.headers["content-type"] == PROBLEM
    assert unknown.json()["detail"] == wrong.json()["detail"]


async def test_five_failures_lock_the_account_even_for_the_right_password(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[str]]
) -> None:
    username = await make_user(["requester"], "Right-passw0rd")
    for _ in range(5):
        resp = await client.post("/api/auth/login", json={"username": username, "password": "Wrong-passw0rd"})
        assert resp.status_code == 401
    locked = await client.post("/api/auth/login", json={"username": username, "password": "Right-passw0rd"})
    assert locked.status_code == 423
    assert locked.headers["content-type"] == PROBLEM


async def test_refresh_rotates_and_an_old_refresh_token_is_refused(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[str]]
) -> None:
    username = await make_user(["dispatcher"], "Right-passw0rd")
    first = (await client.post("/api/auth/login", json={"username": username, "password": "Right-passw0rd"})).json()
    second = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    replay = await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401


async def test_logout_revokes_the_refresh_token(
    client: httpx.AsyncClient, make_user: Callable[..., Awaitable[str]]
) -> None:
    username = await make_user(["engineer"], "Right-passw0rd")
    tokens = (await client.post("/api/auth/login", json={"username": username, "password": "Right-passw0rd"})).json()
    assert (await client.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]})).status_code == 204
    assert (await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401


async def test_missing_or_forged_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/auth/me")).status_code == 401
    forged = await client.get("/api/auth/me", headers={"Authorization": "Bearer eyJhbGciOiJub25lIn0.e30."})
    assert forged.status_code == 401
    assert forged.headers["content-type"] == PROBLEM


async def test_login_body_errors_name_the_field(client: httpx.AsyncClient) -> None:
    resp = await client.post("/api/auth/login", json={"username": "admin"})
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "password"
    unknown = await client.post("/api/auth/login", json={"username": "a", "password": "b", "otp": "1"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "otp"
    malformed = await client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert malformed.status_code == 422 and malformed.headers["content-type"] == PROBLEM


async def test_new_user_can_log_in_and_weak_passwords_are_refused(
    client: httpx.AsyncClient, admin_token: str, make_user: Callable[..., Awaitable[str]], login_as: LoginAs
) -> None:
    username = await make_user(["hotline_operator"], "Str0ng-enough")
    assert await login_as(username, "Str0ng-enough")
    weak = await client.post(
        "/api/admin/users",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"username": "weakling", "password": "password", "display_name": "x", "roles": ["requester"]},
    )
    assert weak.status_code == 422
    assert weak.json()["field"] == "password"


async def test_demo_accounts_always_get_a_password_that_works(
    client: httpx.AsyncClient, migrated: RunEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from gateway import bootstrap
    from gateway.config import GatewaySettings

    settings = migrated.settings(GatewaySettings, jwt_private_key_file=migrated.private_key_file)
    first, second = tmp_path / "checkout-a.json", tmp_path / "checkout-b.json"
    await bootstrap.run(settings, demo=True, credentials_file=first)
    await bootstrap.run(settings, demo=True, credentials_file=second)  # another checkout, same database
    again = json.loads(second.read_text())
    await bootstrap.run(settings, demo=True, credentials_file=second)  # idempotent: nothing changes
    assert json.loads(second.read_text()) == again
    for username in ("operator", "requester", "supervisor"):
        resp = await client.post("/api/auth/login", json={"username": username, "password": again[username]})
        assert resp.status_code == 200, username
    assert "operator" in capsys.readouterr().out


async def test_every_bootstrap_reannounces_the_directory_to_the_services(
    migrated: RunEnvironment, tmp_path: Path
) -> None:
    """A service added later (or whose queue was lost) learns every unit and user at the next start."""
    from gateway import bootstrap
    from gateway.config import GatewaySettings
    from opsdesk_shared.testing.workers import EventTap, eventually
    from opsdesk_shared.worker import run_relay_only

    settings = migrated.settings(GatewaySettings, jwt_private_key_file=migrated.private_key_file)
    await bootstrap.run(settings, demo=True, credentials_file=tmp_path / "c.json")
    async with EventTap(migrated.amqp_url, "user.updated", "unit.updated") as tap:
        await bootstrap.run(settings, demo=True, credentials_file=tmp_path / "c.json")
        stop = asyncio.Event()
        relay = asyncio.create_task(run_relay_only(settings, stop))

        async def announced() -> bool:
            return {e.data["username"] for e in tap.of("user.updated")} >= {"engineer", "dispatcher", "admin"}

        await eventually(announced)
        stop.set()
        await relay
    units = [e.data for e in tap.of("unit.updated")]
    assert units
    # Each unit carries its whole ancestry, so a consumer places it in the tree whatever the arrival order
    # (two relays, or two gateway replicas, publish concurrently: the order between units is not kept).
    for unit in units:
        assert unit["path"][-1] == unit["unit_id"]
        assert unit["path"][-2:-1] == ([unit["parent_id"]] if unit["parent_id"] else [])
