"""Sessions through the gateway's HTTP API on a real database: refresh-token families (a reused token ends
the whole session: theft detection), the absolute lifetime, and sign-ins that race each other (the lockout
and TOTP codes hold under concurrency)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pyotp
import pytest

from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import ADMIN_PASSWORD, NO_SERVICES, running_gateway
from .test_account_rules import MakeUser

PASSWORD = "Right-passw0rd"


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> dict[str, object]:
    resp = await client.post("/api/auth/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def refresh(client: httpx.AsyncClient, token: object) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def test_a_reused_refresh_token_revokes_its_whole_family(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    username = await make_user(["dispatcher"], PASSWORD)
    first = await sign_in(client, username)
    other_desk = await sign_in(client, username)  # another sign-in: a family of its own
    second = await refresh(client, first["refresh_token"])
    assert second.status_code == 200
    # The old token again: someone else holds a copy of this session. It ends for both.
    stolen = await refresh(client, first["refresh_token"])
    assert stolen.status_code == 401 and "already used" in stolen.json()["detail"]
    assert (await refresh(client, second.json()["refresh_token"])).status_code == 401
    assert (await refresh(client, other_desk["refresh_token"])).status_code == 200


async def test_two_concurrent_refreshes_with_one_token_end_the_session(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    username = await make_user(["engineer"], PASSWORD)
    first = await sign_in(client, username)
    answers = await asyncio.gather(*(refresh(client, first["refresh_token"]) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 401]
    winner = next(a for a in answers if a.status_code == 200)
    assert (await refresh(client, winner.json()["refresh_token"])).status_code == 401


async def test_signing_out_ends_the_session_not_only_the_token_presented(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    username = await make_user(["engineer"], PASSWORD)
    first = await sign_in(client, username)
    rotated = (await refresh(client, first["refresh_token"])).json()
    assert (await client.post("/api/auth/logout", json={"refresh_token": first["refresh_token"]})).status_code == 204
    assert (await refresh(client, rotated["refresh_token"])).status_code == 401


async def test_a_session_ends_at_its_absolute_lifetime_however_often_refreshed(
    client: httpx.AsyncClient, make_user: MakeUser, gateway_db: asyncpg.Connection
) -> None:
    username = await make_user(["supervisor"], PASSWORD)
    tokens = await sign_in(client, username)
    for _ in range(3):  # refreshed all along: never idle
        tokens = (await refresh(client, tokens["refresh_token"])).json()
    # What 11 h 59 min 40 s would do: the access token issued now may not outlive the session.
    user_id = await gateway_db.fetchval("SELECT id FROM app_user WHERE username = $1", username)
    signed_in = datetime.now(UTC) - timedelta(hours=12) + timedelta(seconds=20)
    await gateway_db.execute("UPDATE refresh_token SET signed_in_at = $1 WHERE user_id = $2", signed_in, user_id)
    near_end = await refresh(client, tokens["refresh_token"])
    assert near_end.status_code == 200 and near_end.json()["expires_in"] <= 20
    # ...and past it: only a fresh sign-in goes on, and it gets the full lifetime again.
    await gateway_db.execute(
        "UPDATE refresh_token SET signed_in_at = $1 WHERE user_id = $2", signed_in - timedelta(minutes=1), user_id
    )
    ended = await refresh(client, near_end.json()["refresh_token"])
    assert ended.status_code == 401 and "sign in again" in ended.json()["detail"]
    fresh = await sign_in(client, username)
    assert (await refresh(client, fresh["refresh_token"])).json()["expires_in"] == 900


# Racing sign-ins, on a gateway whose connection pool lets every one of them reach the database at once.
RACERS = 12


@pytest.fixture(scope="module")
async def racing_gateway(migrated: RunEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.settings(
        GatewaySettings,
        jwt_private_key_file=migrated.private_key_file,
        admin_password=ADMIN_PASSWORD,
        database_pool_size=RACERS,
        totp_required_roles=["supervisor"],
        rate_limit="1000/second",
        login_rate_limit="1000/minute",
        **NO_SERVICES,
    )
    async with running_gateway(settings) as client:
        yield client


async def wrong_passwords_at_once(client: httpx.AsyncClient, username: str) -> list[httpx.Response]:
    body = {"username": username, "password": "Wrong-passw0rd"}
    return list(await asyncio.gather(*(client.post("/api/auth/login", json=body) for _ in range(RACERS))))


async def test_concurrent_wrong_passwords_lock_the_account_after_exactly_the_limit(
    racing_gateway: httpx.AsyncClient, make_user: MakeUser, gateway_db: asyncpg.Connection
) -> None:
    client = racing_gateway
    username = await make_user(["requester"], PASSWORD)
    answers = await wrong_passwords_at_once(client, username)
    assert sorted(a.status_code for a in answers) == [401] * 5 + [423] * (RACERS - 5)
    evaluated = await gateway_db.fetchval("SELECT count(*) FROM login_attempt WHERE username = $1", username)
    assert evaluated == 5
    assert (await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})).status_code == 423


async def test_a_name_without_an_account_locks_the_same_way_under_concurrency(
    racing_gateway: httpx.AsyncClient,
) -> None:
    answers = await wrong_passwords_at_once(racing_gateway, f"nobody-{uuid.uuid4().hex[:8]}")
    assert sorted(a.status_code for a in answers) == [401] * 5 + [423] * (RACERS - 5)


async def test_one_totp_code_in_two_concurrent_sign_ins_lets_only_one_in(
    racing_gateway: httpx.AsyncClient, make_user: MakeUser
) -> None:
    client = racing_gateway
    username = await make_user(["supervisor"], PASSWORD)
    restricted = {"Authorization": f"Bearer {(await sign_in(client, username))['access_token']}"}
    secret = (await client.post("/api/auth/totp/setup", headers=restricted)).json()["secret"]
    app = pyotp.TOTP(secret)
    confirmed = await client.post("/api/auth/totp/confirm", headers=restricted, json={"otp": app.now()})
    assert confirmed.status_code == 200, confirmed.text
    code = app.at(datetime.now(UTC) + timedelta(seconds=30))  # the next step: the current one was used
    body = {"username": username, "password": PASSWORD, "otp": code}
    answers = await asyncio.gather(*(client.post("/api/auth/login", json=body) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]
