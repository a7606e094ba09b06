"""Idempotent set-up before the system starts: servers reachable, keys, databases, migrations,
broker topology, bootstrap admin, demo data."""

import asyncio
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import redis.asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import assets.migrate
import dispatch.demo
import dispatch.migrate
import intake.migrate
import notifications.migrate
import reporting.migrate
from assets.config import AssetsSettings
from dispatch.config import DispatchSettings
from gateway import audit_chain, bootstrap, keys, rate_limits
from gateway.config import GatewaySettings
from intake.config import IntakeSettings
from notifications.config import NotificationsSettings
from opsdesk_shared import personal_data
from opsdesk_shared.migrations import migrate
from reporting.config import ReportingSettings

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "RabbitMQ": "rabbitmq-server -detached",
    "Redis": rate_limits.HOW_TO_START,
}
SETTING = {"PostgreSQL": "OPSDESK_DATABASE_URL", "RabbitMQ": "OPSDESK_AMQP_URL", "Redis": "OPSDESK_REDIS_URL"}


class ServerUnreachable(SystemExit):
    pass


async def check_servers(database_url: str, amqp_url: str, redis_url: str) -> None:
    problems: list[tuple[str, str, BaseException]] = []
    try:
        conn = await asyncpg.connect(f"{database_url.rstrip('/')}/postgres", timeout=5)
        await conn.close()
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        problems.append(("PostgreSQL", database_url, exc))
    try:
        conn = await aio_pika.connect(amqp_url, timeout=5)
        await conn.close()
    except Exception as exc:  # aio-pika raises several unrelated types for "not there"
        problems.append(("RabbitMQ", amqp_url, exc))
    client = _redis_client(redis_url)
    try:
        await client.ping()
    except (redis.RedisError, OSError) as exc:  # the gateway keeps its rate limits there and refuses to start
        problems.append(("Redis", rate_limits.shown(redis_url), exc))
    finally:
        await client.aclose()
    if problems:
        lines = [
            f"{name} is not reachable at {url} ({type(exc).__name__}: {exc}).\n"
            f"  Start it (on this machine: `{HOW_TO_START[name]}`) or point {SETTING[name]} at a running one."
            for name, url, exc in problems
        ]
        raise ServerUnreachable("\n".join(lines))


def _redis_client(redis_url: str) -> redis.asyncio.Redis:
    """One server (`redis://`), or the primary the Sentinels name (`redis+sentinel://:pw@host:port,…/service`,
    as k8s/data deploys it; the same URL the gateway's rate limits take)."""
    parts = urlsplit(redis_url)
    if not parts.scheme.endswith("+sentinel"):
        return redis.asyncio.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
    hosts = [location.rpartition(":") for location in parts.netloc.rpartition("@")[2].split(",")]
    auth = {"password": parts.password} if parts.password else {}
    sentinel = redis.asyncio.Sentinel(
        [(host, int(port)) for host, _, port in hosts],
        sentinel_kwargs={**auth, "socket_connect_timeout": 5, "socket_timeout": 5},
        socket_connect_timeout=5,
        socket_timeout=5,
        **auth,
    )
    return sentinel.master_for(parts.path.strip("/"))


def ensure_keys(private_file: Path, public_file: Path) -> bool:
    """A development Ed25519 key pair for access tokens, made once."""
    if private_file.exists() and public_file.exists():
        return False
    private_file.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private_file.chmod(0o600)
    public_file.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return True


async def migrate_all() -> None:
    await migrate(GatewaySettings(), "gateway")
    await intake.migrate.run(IntakeSettings())
    await dispatch.migrate.run(DispatchSettings())
    await notifications.migrate.run(NotificationsSettings())
    await reporting.migrate.run(ReportingSettings())
    await assets.migrate.run(AssetsSettings())


def move_private_key_out_of_the_services_reach(private_file: Path, public_file: Path) -> bool:
    """Compose once kept the JWT private key beside the public one, in the volume every service mounts: move it
    to where only the gateway reads it (keeping it keeps tokens and older TOTP enrolments valid)."""
    stale = public_file.parent / private_file.name
    if private_file.exists() or stale == private_file or not stale.exists():
        return False
    private_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(stale, private_file)
    return True


def ensure_gateway_keys(settings: GatewaySettings) -> None:
    """Development keys for the gateway alone: the session cookie's and the TOTP secrets', one per purpose."""
    if keys.create_session_key_file(settings.web_session_key_file):
        print(f"created a development key for web sessions at {settings.web_session_key_file}")
    if keys.create_totp_key_file(settings.totp_key_file):
        print(f"created a development key for TOTP secrets at {settings.totp_key_file}")


async def set_up(*, demo: bool, credentials_file: Path, make_keys: bool = True) -> None:
    gateway_settings = GatewaySettings()
    await check_servers(gateway_settings.database_url, gateway_settings.amqp_url, gateway_settings.redis_url)
    # Kubernetes supplies every key (a Secret): its migrate job mounts only the PII key and makes none.
    if make_keys:
        public_file = Path(os.environ["OPSDESK_JWT_PUBLIC_KEY_FILE"])
        if move_private_key_out_of_the_services_reach(gateway_settings.jwt_private_key_file, public_file):
            print(f"moved the access-token signing key to {gateway_settings.jwt_private_key_file}")
        if ensure_keys(gateway_settings.jwt_private_key_file, public_file):
            print(f"created a development key pair for access tokens in {gateway_settings.jwt_private_key_file.parent}")
        ensure_gateway_keys(gateway_settings)
        if personal_data.create_key_file(gateway_settings.pii_key_file):
            print(f"created a development key for personal data at rest in {gateway_settings.pii_key_file}")
        # In production the key is a mounted secret: made up here, it would re-key the audit log with a key
        # nobody kept.
        if gateway_settings.environment != "production" and audit_chain.create_key_file(
            gateway_settings.audit_key_file
        ):
            print(f"created a development key for the audit chain in {gateway_settings.audit_key_file}")
    await migrate_all()
    await bootstrap.run(gateway_settings, demo=demo, credentials_file=credentials_file)
    if demo:
        await dispatch.demo.seed_demo(DispatchSettings())


def run_set_up(*, demo: bool, credentials_file: Path, make_keys: bool = True) -> None:
    asyncio.run(set_up(demo=demo, credentials_file=credentials_file, make_keys=make_keys))
