"""Idempotent set-up before the system starts: servers reachable, keys, databases, migrations,
broker topology, bootstrap admin, demo data."""

import asyncio
import os
from pathlib import Path

import aio_pika
import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import dispatch.demo
import dispatch.migrate
import intake.migrate
import notifications.migrate
import reporting.migrate
from dispatch.config import DispatchSettings
from gateway import audit_chain, bootstrap
from gateway.config import GatewaySettings
from intake.config import IntakeSettings
from notifications.config import NotificationsSettings
from opsdesk_shared import personal_data
from opsdesk_shared.migrations import migrate
from reporting.config import ReportingSettings

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "RabbitMQ": "rabbitmq-server -detached",
}


class ServerUnreachable(SystemExit):
    pass


async def check_servers(database_url: str, amqp_url: str) -> None:
    problems = []
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
    if problems:
        lines = [
            f"{name} is not reachable at {url} ({type(exc).__name__}: {exc}).\n"
            f"  Start it (on this machine: `{HOW_TO_START[name]}`) or point "
            f"{'OPSDESK_DATABASE_URL' if name == 'PostgreSQL' else 'OPSDESK_AMQP_URL'} at a running one."
            for name, url, exc in problems
        ]
        raise ServerUnreachable("\n".join(lines))


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


async def set_up(*, demo: bool, credentials_file: Path) -> None:
    gateway_settings = GatewaySettings()
    await check_servers(gateway_settings.database_url, gateway_settings.amqp_url)
    if ensure_keys(gateway_settings.jwt_private_key_file, Path(os.environ["OPSDESK_JWT_PUBLIC_KEY_FILE"])):
        print(f"created a development key pair for access tokens in {gateway_settings.jwt_private_key_file.parent}")
    if personal_data.create_key_file(gateway_settings.pii_key_file):
        print(f"created a development key for personal data at rest in {gateway_settings.pii_key_file}")
    # In production the key is a mounted secret: made up here, it would re-key the audit log with a key nobody kept.
    if gateway_settings.environment != "production" and audit_chain.create_key_file(gateway_settings.audit_key_file):
        print(f"created a development key for the audit chain in {gateway_settings.audit_key_file}")
    await migrate_all()
    await bootstrap.run(gateway_settings, demo=demo, credentials_file=credentials_file)
    if demo:
        await dispatch.demo.seed_demo(DispatchSettings())


def run_set_up(*, demo: bool, credentials_file: Path) -> None:
    asyncio.run(set_up(demo=demo, credentials_file=credentials_file))
