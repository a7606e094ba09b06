"""One key per purpose, each rotated on its own (issue 18, item 5), through the gateway's HTTP API and web UI:

- the token-signing key: services accept the old and the new public key while tokens signed by the old one
  expire; the gateway signs with the new one and names it (`kid`);
- the web session key: replacing it signs every browser out, and nobody loses their second factor;
- the TOTP key: a new key first and the old one below it reseals every secret under the new one; secrets an
  earlier gateway sealed under the JWT-derived key are resealed too (the migration path).
"""

import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import pyotp
import pytest
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.config import GatewaySettings
from gateway.main import create_app
from gateway.web.session import COOKIE
from opsdesk_shared.jwt_keys import key_id
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import ADMIN_PASSWORD, NO_SERVICES, running_gateway, running_worker

MakeUser = Callable[..., Awaitable[str]]
PASSWORD = "Right-passw0rd"
ROOT = Path(__file__).resolve().parents[2]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def key_pair(directory: Path, name: str) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = directory / f"{name}_private.pem", directory / f"{name}_public.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def key_file(directory: Path, name: str, *lines: bytes) -> Path:
    path = directory / name
    path.write_text("".join(line.decode() + "\n" for line in lines))
    return path


def gateway_settings(env: RunEnvironment, **keys: Any) -> GatewaySettings:
    """A gateway asking supervisors for a second factor, with the run's keys unless told otherwise."""
    values: dict[str, Any] = {
        "jwt_private_key_file": env.private_key_file,
        "totp_required_roles": ["supervisor"],
        "admin_password": ADMIN_PASSWORD,
        **NO_SERVICES,
        **keys,
    }
    return env.settings(GatewaySettings, **values)


@pytest.fixture
async def gateway_db(migrated: RunEnvironment) -> Any:
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_gateway")
    yield conn
    await conn.close()


async def sealed_secret(db: asyncpg.Connection, username: str) -> str:
    return str(await db.fetchval("SELECT totp_secret FROM app_user WHERE username = $1", username))


async def opens_with(db: asyncpg.Connection, username: str, key: bytes) -> bool:
    try:
        Fernet(key).decrypt((await sealed_secret(db, username)).encode())
        return True
    except InvalidToken:
        return False


async def wait_until_sealed_with(db: asyncpg.Connection, username: str, key: bytes) -> None:
    """The gateway's worker reseals in the background as it starts: wait for it, with a deadline."""
    deadline = time.monotonic() + 10
    while not await opens_with(db, username, key):
        assert time.monotonic() < deadline, "the secret was not resealed under the new TOTP key"
        await asyncio.sleep(0.05)


def code(secret: str, steps_ahead: int) -> str:
    """A code `steps_ahead` 30-second steps from now: each sign-in needs a later step than the one before."""
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30 * steps_ahead))


async def enrol(client: httpx.AsyncClient, username: str) -> str:
    """The supervisor's first sign-in: enrol the second factor (with the step before now); the secret."""
    first = await client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    restricted = bearer(first.json()["access_token"])
    secret = str((await client.post("/api/auth/totp/setup", headers=restricted)).json()["secret"])
    confirmed = await client.post("/api/auth/totp/confirm", headers=restricted, json={"otp": code(secret, -1)})
    assert confirmed.status_code == 200, confirmed.text
    return secret


async def sign_in(client: httpx.AsyncClient, username: str, otp: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": PASSWORD, "otp": otp})


async def web_sign_in(client: httpx.AsyncClient, username: str, otp: str) -> httpx.Response:
    return await client.post("/login", data={"username": username, "password": PASSWORD, "otp": otp})


async def test_tokens_signed_by_the_previous_key_stay_valid_while_new_ones_use_the_new_key(
    migrated: RunEnvironment, tmp_path: Path
) -> None:
    new_private, new_public = key_pair(tmp_path, "new")
    both = tmp_path / "both_public.pem"
    both.write_text(new_public.read_text() + migrated.public_key_file.read_text())
    issued_before = migrated.token("admin")  # signed by the old key, before the gateway switched
    stranger_private, _ = key_pair(tmp_path, "stranger")
    forged = jwt.encode(
        jwt.decode(issued_before, options={"verify_signature": False}), stranger_private.read_text(), algorithm="EdDSA"
    )

    rotating = gateway_settings(migrated, jwt_private_key_file=new_private, jwt_public_key_file=both)
    async with running_gateway(rotating) as client:
        assert (await client.get("/api/admin/units", headers=bearer(issued_before))).status_code == 200
        assert (await client.get("/api/admin/units", headers=bearer(forged))).status_code == 401
        login = await client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        issued_now = login.json()["access_token"]
        new_key = serialization.load_pem_public_key(new_public.read_bytes())
        assert isinstance(new_key, Ed25519PublicKey)
        assert jwt.get_unverified_header(issued_now)["kid"] == key_id(new_key)
        jwt.decode(issued_now, new_key, algorithms=["EdDSA"], audience="opsdesk")
        assert (await client.get("/api/admin/units", headers=bearer(issued_now))).status_code == 200

    # Once the old key's tokens have expired its public key goes, and whatever it signed is refused.
    rotated = gateway_settings(migrated, jwt_private_key_file=new_private, jwt_public_key_file=new_public)
    async with running_gateway(rotated) as client:
        assert (await client.get("/api/admin/units", headers=bearer(issued_before))).status_code == 401
        assert (await client.get("/api/admin/units", headers=bearer(issued_now))).status_code == 200


def test_the_gateway_refuses_to_start_signing_with_a_key_services_do_not_accept(
    migrated: RunEnvironment, tmp_path: Path
) -> None:
    new_private, _ = key_pair(tmp_path, "new")
    with pytest.raises(RuntimeError, match="OPSDESK_JWT_PUBLIC_KEY_FILE"):
        create_app(gateway_settings(migrated, jwt_private_key_file=new_private))


async def test_rotating_the_session_key_signs_everyone_out_and_keeps_their_second_factor(
    migrated: RunEnvironment, tmp_path: Path, make_user: MakeUser
) -> None:
    username = await make_user(["supervisor"], PASSWORD)
    before = gateway_settings(migrated)
    async with running_gateway(before) as client:
        secret = await enrol(client, username)
        signed_in = await web_sign_in(client, username, code(secret, 0))
        assert signed_in.status_code == 303 and signed_in.headers["location"] != "/login", signed_in.text
        cookie = client.cookies[COOKIE]
        assert (await client.get("/")).headers["location"] != "/login"

    new_session_key = key_file(tmp_path, "web_session.key", base64.b64encode(os.urandom(32)))
    async with running_gateway(gateway_settings(migrated, web_session_key_file=new_session_key)) as client:
        client.cookies.set(COOKIE, cookie)
        assert (await client.get("/")).headers["location"] == "/login"  # the old cookie no longer counts
        client.cookies.clear()
        again = await web_sign_in(client, username, code(secret, 1))
        assert again.status_code == 303 and again.headers["location"] != "/login", again.text
        assert (await client.get("/")).headers["location"] != "/login"


async def test_a_new_totp_key_reseals_every_secret_and_sign_in_with_codes_goes_on(
    migrated: RunEnvironment, tmp_path: Path, make_user: MakeUser, gateway_db: asyncpg.Connection
) -> None:
    old_key = migrated.totp_key_file.read_text().strip().encode()
    username = await make_user(["supervisor"], PASSWORD)
    async with running_gateway(gateway_settings(migrated)) as client:
        secret = await enrol(client, username)
    assert await opens_with(gateway_db, username, old_key)

    new_key = Fernet.generate_key()
    new_then_old = key_file(tmp_path, "rotating.key", new_key, old_key)
    rotated = gateway_settings(migrated, totp_key_file=new_then_old)
    async with running_gateway(rotated) as client, running_worker(rotated):
        await wait_until_sealed_with(gateway_db, username, new_key)
        assert (await sign_in(client, username, code(secret, 0))).status_code == 200
    resealed = await gateway_db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'totp.reseal.ok'")
    assert resealed >= 1

    # The old key removed: the secret needs only the new one.
    async with running_gateway(gateway_settings(migrated, totp_key_file=key_file(tmp_path, "new.key", new_key))) as c:
        assert (await sign_in(c, username, code(secret, 1))).status_code == 200


async def test_secrets_sealed_under_the_key_derived_from_the_signing_key_are_resealed_under_the_totp_key(
    migrated: RunEnvironment, make_user: MakeUser, gateway_db: asyncpg.Connection
) -> None:
    username = await make_user(["supervisor"], PASSWORD)
    async with running_gateway(gateway_settings(migrated)) as client:
        secret = await enrol(client, username)
    # What an earlier gateway stored: the secret sealed under a key derived from the JWT private key.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"opsdesk-totp-secrets").derive(
        migrated.private_key_file.read_bytes()
    )
    legacy = Fernet(base64.urlsafe_b64encode(derived)).encrypt(secret.encode()).decode()
    await gateway_db.execute("UPDATE app_user SET totp_secret = $1 WHERE username = $2", legacy, username)

    totp_key = migrated.totp_key_file.read_text().strip().encode()
    settings = gateway_settings(migrated)
    async with running_gateway(settings) as client, running_worker(settings):
        await wait_until_sealed_with(gateway_db, username, totp_key)
        assert (await sign_in(client, username, code(secret, 0))).status_code == 200


async def test_the_reseal_command_seals_every_secret_under_the_first_key(
    migrated: RunEnvironment, tmp_path: Path, make_user: MakeUser, gateway_db: asyncpg.Connection
) -> None:
    old_key = migrated.totp_key_file.read_text().strip().encode()
    username = await make_user(["supervisor"], PASSWORD)
    async with running_gateway(gateway_settings(migrated)) as client:
        await enrol(client, username)
    new_key = Fernet.generate_key()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSDESK_")}
    env |= migrated.env() | {"OPSDESK_TOTP_KEY_FILE": str(key_file(tmp_path, "rotating.key", new_key, old_key))}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "gateway", "reseal-totp-secrets"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["resealed"] >= 1
    assert await opens_with(gateway_db, username, new_key)
