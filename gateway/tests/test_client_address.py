"""Behind the ingress every connection comes from the ingress: the gateway takes the client's address from
`X-Forwarded-For` only when the connection comes from a configured proxy network, and then rate-limits,
audits and tells the services that address."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from pydantic import ValidationError

from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import ADMIN_PASSWORD, NO_SERVICES, client_from, serving, started_gateway

INGRESS = "10.42.0.7"  # an ingress controller's pod, inside the trusted network below
TRUSTED = "10.42.0.0/16"


def somebody() -> str:
    """An address of a person of this test alone (IPv6 documentation range), so no other test or run shares
    their counters."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def settings(env: RunEnvironment, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "jwt_private_key_file": env.private_key_file,
        "admin_password": ADMIN_PASSWORD,
        "trusted_proxies": [TRUSTED],
        **NO_SERVICES,
    }
    return env.settings(GatewaySettings, **{**values, **overrides})


def via_ingress(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


def wrong_password() -> dict[str, str]:
    """A failed sign-in to an account of its own: the per-account lockout is not what is tested here."""
    return {"username": f"nobody-{uuid.uuid4().hex[:8]}", "password": "not-the-password"}


@pytest.mark.parametrize(
    ("environment", "configured", "trusted"),
    [
        ("production", None, []),  # nothing is trusted in production unless configured
        ("development", None, ["127.0.0.1", "::1"]),  # make run: a local reverse proxy may sit in front
        ("test", None, ["127.0.0.1", "::1"]),
        ("production", "10.42.0.0/16, 192.168.7.3", ["10.42.0.0/16", "192.168.7.3"]),
        ("development", "", []),  # explicitly none
    ],
)
def test_trusted_proxy_networks_by_environment(
    monkeypatch: pytest.MonkeyPatch, environment: str, configured: str | None, trusted: list[str]
) -> None:
    monkeypatch.delenv("OPSDESK_TRUSTED_PROXIES", raising=False)
    if configured is not None:
        monkeypatch.setenv("OPSDESK_TRUSTED_PROXIES", configured)
    assert GatewaySettings(environment=environment).proxy_networks() == trusted


@pytest.mark.parametrize("value", ["10.42.0.0/33", "ingress.local", "*"])
def test_a_trusted_proxy_that_is_not_an_address_or_network_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("OPSDESK_TRUSTED_PROXIES", value)
    with pytest.raises(ValidationError, match="trusted_proxies"):
        GatewaySettings()


async def test_behind_the_ingress_each_client_has_a_login_limit_of_their_own(migrated: RunEnvironment) -> None:
    attacker, colleague = somebody(), somebody()
    async with started_gateway(settings(migrated, login_rate_limit="3/minute")) as app:
        async with client_from(app, INGRESS) as ingress, client_from(app, somebody()) as direct:
            tries = [
                (
                    await ingress.post("/api/auth/login", json=wrong_password(), headers=via_ingress(attacker))
                ).status_code
                for _ in range(4)
            ]
            colleague_signs_in = await ingress.post(
                "/api/auth/login",
                json={"username": "admin", "password": ADMIN_PASSWORD},
                headers=via_ingress(colleague),
            )
            # Someone reaching the gateway directly cannot pose as a new address with every request.
            forged = [
                (
                    await direct.post("/api/auth/login", json=wrong_password(), headers=via_ingress(somebody()))
                ).status_code
                for _ in range(4)
            ]
    assert tries == [401, 401, 401, 429]
    assert colleague_signs_in.status_code == 200, colleague_signs_in.text
    assert forged == [401, 401, 401, 429]


async def test_the_audit_log_records_the_address_of_the_client_behind_the_ingress(migrated: RunEnvironment) -> None:
    clerk = somebody()
    code = f"CA-{uuid.uuid4().hex[:6]}"
    async with started_gateway(settings(migrated)) as app, client_from(app, INGRESS) as ingress:
        token = (
            await ingress.post(
                "/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}, headers=via_ingress(clerk)
            )
        ).json()["access_token"]
        created = await ingress.post(
            "/api/admin/units",
            headers={"Authorization": f"Bearer {token}", **via_ingress(f"203.0.113.9, {clerk}")},
            json={"code": code, "name": "地址测试", "kind": "police_station"},
        )
    assert created.status_code == 201, created.text
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_gateway")
    try:
        from_clerk = await conn.fetch("SELECT action, changes FROM audit_log WHERE client_ip = $1 ORDER BY id", clerk)
    finally:
        await conn.close()
    # The sign-in and the write, each from the clerk's address: not the ingress's, nor what the clerk's own
    # browser (or anything before the ingress) wrote into the header.
    assert [r["action"] for r in from_clerk] == ["login.ok", "admin.units.post.ok"]
    assert code in from_clerk[1]["changes"]


@asynccontextmanager
async def echoing_service() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A stand-in upstream on a real port that answers with the request headers it was sent: what the
    gateway tells a service is only visible at the service's end of the connection."""
    received: list[dict[str, str]] = []

    async def echo(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.json_response({"items": []})

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", echo)
    async with serving(upstream) as url:
        yield url, received


async def test_services_are_told_the_client_address_the_gateway_trusts(migrated: RunEnvironment) -> None:
    clerk = somebody()
    async with echoing_service() as (url, received):
        async with (
            started_gateway(settings(migrated, intake_url=url)) as app,
            client_from(app, INGRESS) as ingress,
            client_from(app, "198.51.100.23") as direct,
        ):
            token = {"Authorization": f"Bearer {migrated.token('dispatcher')}"}
            behind = await ingress.get("/api/tickets", headers={**token, **via_ingress(f"6.6.6.6, {clerk}")})
            straight = await direct.get("/api/tickets", headers={**token, **via_ingress("6.6.6.6")})
    assert behind.status_code == straight.status_code == 200
    assert [r["X-Forwarded-For"] for r in received] == [clerk, "198.51.100.23"]
