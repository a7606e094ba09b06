"""MLPS level 3 account rules through the gateway's HTTP API: breached passwords refused, an expired
password (or a first sign-in in production) good only for changing it, dormant accounts disabled."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pyotp
import pytest

from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import ADMIN_PASSWORD, NO_SERVICES, running_gateway

MakeUser = Callable[..., Awaitable[str]]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def age(db: asyncpg.Connection, username: str, column: str, days: int) -> None:
    """What time would do: the stamp moved `days` into the past."""
    when = datetime.now(UTC) - timedelta(days=days)
    await db.execute(f"UPDATE app_user SET {column} = $1 WHERE username = $2", when, username)


async def change_password(client: httpx.AsyncClient, token: str, current: str, new: str) -> httpx.Response:
    return await client.post(
        "/api/auth/password", headers=bearer(token), json={"current_password": current, "new_password": new}
    )


async def login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


@pytest.mark.parametrize("password", ["Password1!", "P@ssw0rd2024", "Qwerty123#", "Woaini1314!"])
async def test_a_breached_password_is_refused_even_dressed_up(
    client: httpx.AsyncClient, admin_token: str, password: str
) -> None:
    resp = await client.post(
        "/api/admin/users",
        headers=bearer(admin_token),
        json={"username": "leaky", "password": password, "display_name": "泄露", "roles": ["requester"]},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == "password" and "breached" in resp.json()["detail"]


async def test_an_expired_password_signs_in_only_to_change_it(
    client: httpx.AsyncClient, make_user: MakeUser, gateway_db: asyncpg.Connection
) -> None:
    username = await make_user(["dispatcher"], "Right-passw0rd")
    await age(gateway_db, username, "password_changed_at", 91)
    first = await login(client, username, "Right-passw0rd")
    assert first.status_code == 200
    assert first.json()["must_change_password"] is True and first.json()["password_change_reason"] == "expired"
    restricted = first.json()["access_token"]
    refused = await client.get("/api/admin/units", headers=bearer(restricted))
    assert refused.status_code == 403 and refused.json()["rule"] == "password-change-required"
    assert (await client.get("/api/auth/me", headers=bearer(restricted))).status_code == 200

    same = await change_password(client, restricted, "Right-passw0rd", "Right-passw0rd")
    assert same.status_code == 422 and same.json()["field"] == "new_password"
    breached = await change_password(client, restricted, "Right-passw0rd", "Password123!")
    assert breached.status_code == 422 and breached.json()["field"] == "new_password"
    wrong = await change_password(client, restricted, "Wrong-passw0rd", "Brand-new-s3cret")
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"

    changed = await change_password(client, restricted, "Right-passw0rd", "Brand-new-s3cret")
    assert changed.status_code == 200, changed.text
    assert changed.json()["must_change_password"] is False
    assert (await client.get("/api/admin/units", headers=bearer(changed.json()["access_token"]))).status_code == 200
    # The sessions opened with the old password end: their refresh tokens are revoked.
    old = await client.post("/api/auth/refresh", json={"refresh_token": first.json()["refresh_token"]})
    assert old.status_code == 401
    assert (await login(client, username, "Right-passw0rd")).status_code == 401
    assert (await login(client, username, "Brand-new-s3cret")).json()["must_change_password"] is False


async def test_a_dormant_account_is_disabled_at_its_next_sign_in_until_an_admin_enables_it(
    client: httpx.AsyncClient, make_user: MakeUser, admin_token: str, gateway_db: asyncpg.Connection
) -> None:
    username = await make_user(["engineer"], "Right-passw0rd")
    assert (await login(client, username, "Right-passw0rd")).status_code == 200
    await age(gateway_db, username, "last_login_at", 91)
    await age(gateway_db, username, "created_at", 200)
    # A wrong password learns nothing about the account's state.
    assert (await login(client, username, "Wrong-passw0rd")).status_code == 401
    dormant = await login(client, username, "Right-passw0rd")
    assert dormant.status_code == 403 and "not used for 90 days" in dormant.json()["detail"]
    assert (await login(client, username, "Right-passw0rd")).status_code == 401  # now simply disabled
    user_id = await gateway_db.fetchval("SELECT id FROM app_user WHERE username = $1", username)
    enabled = await client.patch(f"/api/admin/users/{user_id}", headers=bearer(admin_token), json={"is_active": True})
    assert enabled.status_code == 200
    assert (await login(client, username, "Right-passw0rd")).status_code == 200


async def test_in_production_a_user_made_by_an_administrator_changes_the_password_at_first_sign_in(
    migrated: RunEnvironment,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    admin_name, clerk_name, admin_password = f"prod-admin-{suffix}", f"prod-clerk-{suffix}", "Bootstrap-s3cret-42"
    settings = migrated.settings(
        GatewaySettings,
        jwt_private_key_file=migrated.private_key_file,
        environment="production",
        admin_username=admin_name,
        admin_password=admin_password,
        **NO_SERVICES,
    )
    async with running_gateway(settings) as client:
        admin = await login(client, admin_name, admin_password)
        assert admin.json()["password_change_reason"] == "first_login"  # the bootstrap account too
        admin = await client.post(
            "/api/auth/password",
            headers=bearer(admin.json()["access_token"]),
            json={"current_password": admin_password, "new_password": "Another-l0ng-s3cret"},
        )
        # Then the second factor, which production asks of administrators.
        assert admin.json()["totp_enrolment_required"] is True
        restricted = bearer(admin.json()["access_token"])
        secret = (await client.post("/api/auth/totp/setup", headers=restricted)).json()["secret"]
        admin = await client.post("/api/auth/totp/confirm", headers=restricted, json={"otp": pyotp.TOTP(secret).now()})
        assert admin.status_code == 200, admin.text
        made = await client.post(
            "/api/admin/users",
            headers=bearer(admin.json()["access_token"]),
            json={"username": clerk_name, "password": "Initial-s3cret", "display_name": "新人", "roles": ["requester"]},
        )
        assert made.status_code == 201, made.text
        first = await login(client, clerk_name, "Initial-s3cret")
        assert first.json()["password_change_reason"] == "first_login"


@pytest.fixture
async def totp_gateway(migrated: RunEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway that asks a second factor of supervisors (as production does of four roles)."""
    settings = migrated.settings(
        GatewaySettings,
        jwt_private_key_file=migrated.private_key_file,
        totp_required_roles=["supervisor"],
        admin_password=ADMIN_PASSWORD,
        **NO_SERVICES,
    )
    async with running_gateway(settings) as client:
        yield client


async def test_a_supervisor_enrols_a_second_factor_and_then_signs_in_with_codes_used_once(
    totp_gateway: httpx.AsyncClient, make_user: MakeUser, admin_token: str, gateway_db: asyncpg.Connection
) -> None:
    client = totp_gateway
    username = await make_user(["supervisor"], "Right-passw0rd")
    first = await login(client, username, "Right-passw0rd")
    assert first.status_code == 200 and first.json()["totp_enrolment_required"] is True
    restricted = bearer(first.json()["access_token"])
    refused = await client.get("/api/admin/units", headers=restricted)
    assert refused.status_code == 403 and refused.json()["rule"] == "totp-enrolment-required"

    setup = (await client.post("/api/auth/totp/setup", headers=restricted)).json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/OpsDesk:") and setup["qr_svg"].startswith("<?xml")
    stored = await gateway_db.fetchval("SELECT totp_secret FROM app_user WHERE username = $1", username)
    assert setup["secret"] not in stored  # sealed, not the secret itself
    app = pyotp.TOTP(setup["secret"])
    wrong = await client.post("/api/auth/totp/confirm", headers=restricted, json={"otp": "000000"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "otp"
    confirmed = await client.post("/api/auth/totp/confirm", headers=restricted, json={"otp": app.now()})
    assert confirmed.status_code == 200 and confirmed.json()["totp_enrolment_required"] is False
    assert (await client.get("/api/admin/units", headers=bearer(confirmed.json()["access_token"]))).status_code == 200

    # From now on: the password alone is not enough, a code is, and the same code never twice.
    asked = await login(client, username, "Right-passw0rd")
    assert asked.status_code == 401 and asked.json()["rule"] == "otp-required"
    code = app.at(datetime.now(UTC) + timedelta(seconds=30))  # the next step: the last one was used
    signed_in = await client.post(
        "/api/auth/login", json={"username": username, "password": "Right-passw0rd", "otp": code}
    )
    assert signed_in.status_code == 200, signed_in.text
    replay = await client.post(
        "/api/auth/login", json={"username": username, "password": "Right-passw0rd", "otp": code}
    )
    assert replay.status_code == 401
    # Wrong codes count towards the lockout like wrong passwords.
    for _ in range(4):
        await client.post("/api/auth/login", json={"username": username, "password": "Right-passw0rd", "otp": "123456"})
    assert (await login(client, username, "Right-passw0rd")).status_code == 423

    # A lost phone: the security administrator resets the factor (the admin token holds that role).
    user_id = await gateway_db.fetchval("SELECT id FROM app_user WHERE username = $1", username)
    reset = await client.delete(f"/api/admin/users/{user_id}/totp", headers=bearer(admin_token))
    assert reset.status_code == 200 and reset.json()["totp_confirmed_at"] is None
