"""The pytest plugin every OpsDesk test run loads (`-p opsdesk_shared.testing.plugin`).

A run gets its own databases (`opsdesk_t<run>_<service>`) and its own RabbitMQ vhost, so parallel or
leftover runs never collide; both are removed at the end.
"""

import asyncio
import base64
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from opsdesk_shared import personal_data
from opsdesk_shared.testing.servers import DEFAULT_AMQP_URL, DEFAULT_DATABASE_URL, Servers, VhostAdmin, locate

SERVICES = ("gateway", "intake", "dispatch", "notifications", "reporting", "assets")


@dataclass(frozen=True)
class RunEnvironment:
    """Everything a test needs to build settings or start processes against this run's servers."""

    servers: Servers
    run_id: str
    database_prefix: str
    vhost: str
    amqp_url: str
    private_key_file: Path
    public_key_file: Path
    pii_key_file: Path
    # The gateway's audit key and the directory its archives and signed checkpoints go to (this run's own).
    audit_key_file: Path
    audit_archive_dir: Path
    # The gateway's own keys, one per purpose (gateway/keys.py).
    web_session_key_file: Path
    totp_key_file: Path

    def env(self) -> dict[str, str]:
        return {
            "OPSDESK_DATABASE_URL": self.servers.database_url,
            "OPSDESK_DATABASE_PREFIX": self.database_prefix,
            "OPSDESK_AMQP_URL": self.amqp_url,
            "OPSDESK_JWT_PUBLIC_KEY_FILE": str(self.public_key_file),
            "OPSDESK_JWT_PRIVATE_KEY_FILE": str(self.private_key_file),
            "OPSDESK_PII_KEY_FILE": str(self.pii_key_file),
            "OPSDESK_WEB_SESSION_KEY_FILE": str(self.web_session_key_file),
            "OPSDESK_TOTP_KEY_FILE": str(self.totp_key_file),
            "OPSDESK_AUDIT_KEY_FILE": str(self.audit_key_file),
            "OPSDESK_AUDIT_ARCHIVE_DIR": str(self.audit_archive_dir),
            "OPSDESK_ENVIRONMENT": "test",
            # A whole system of processes plus the tests' own pools must fit PostgreSQL's default 100 connections.
            "OPSDESK_DATABASE_POOL_SIZE": "3",
            # The gateway's rate-limit counters in Redis: the run's own, so parallel runs never share them.
            "OPSDESK_REDIS_KEY_PREFIX": self.database_prefix,
        }

    def settings(self, cls: type, **overrides: Any) -> Any:
        values: dict[str, Any] = {
            "database_url": self.servers.database_url,
            "database_prefix": self.database_prefix,
            "amqp_url": self.amqp_url,
            "jwt_public_key_file": self.public_key_file,
            "pii_key_file": self.pii_key_file,
            "web_session_key_file": self.web_session_key_file,  # services' settings ignore the gateway's keys
            "totp_key_file": self.totp_key_file,
            # Only the gateway's settings have these; the other services' ignore them.
            "audit_key_file": self.audit_key_file,
            "audit_archive_dir": self.audit_archive_dir,
            "environment": "test",
            "database_pool_size": 3,
            # Each settings object is one deployment with rate-limit counters of its own (gateways built
            # from the same object share them, as replicas do); otherwise every in-process gateway of the
            # run would share one login limit from 127.0.0.1. Settings without Redis ignore it.
            "redis_key_prefix": f"{self.database_prefix}_{uuid.uuid4().hex[:8]}",
        }
        values.update(overrides)
        return cls(**values)

    def token(
        self,
        *roles: str,
        unit_id: UUID | None = None,
        subject: UUID | None = None,
        name: str = "tester",
        ttl_s: int = 600,
        scopes: list[str] | None = None,
    ) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": "opsdesk-gateway",
            "aud": "opsdesk",
            "sub": str(subject or uuid.uuid4()),
            "name": name,
            "roles": list(roles),
            "unit_id": str(unit_id) if unit_id else None,
            "scopes": scopes or [],
            "typ": "access",
            "iat": now,
            "exp": now + timedelta(seconds=ttl_s),
        }
        return jwt.encode(claims, self.private_key_file.read_text(), algorithm="EdDSA")

    async def stale_events(self, service: str, aggregate_id: UUID) -> list[tuple[str, int, int]]:
        """What a service recorded as stale for one aggregate (`messaging/ordering.py`): (type, event
        version, applied version), oldest first. Read from its database: no API exposes it."""
        conn = await asyncpg.connect(f"{self.servers.database_url}/{self.database_prefix}_{service}")
        try:
            rows = await conn.fetch(
                "SELECT event_type, event_version, applied_version FROM stale_event"
                " WHERE aggregate_id = $1 ORDER BY id",
                aggregate_id,
            )
        finally:
            await conn.close()
        return [(r["event_type"], r["event_version"], r["applied_version"]) for r in rows]


def _write_gateway_keys(directory: Path) -> tuple[Path, Path]:
    """The session and TOTP keys, in the formats gateway/keys.py reads (the plugin does not import the gateway)."""
    session, totp = directory / "web_session.key", directory / "totp.key"
    session.write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    totp.write_text(Fernet.generate_key().decode() + "\n")
    return session, totp


def _write_keys(directory: Path) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    private, public = directory / "jwt_private.pem", directory / "jwt_public.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def _write_audit_key(key_file: Path) -> None:
    """What `make run` makes for the gateway (gateway/audit_chain.py), without importing the gateway here."""
    key_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
    key_file.chmod(0o600)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under a `tests/unit/` folder are the unit tier (`make test-unit`): pure modules, no servers. They
    are marked `unit`, and one that asks for the servers (the `opsdesk` fixture, directly or through another)
    is refused at collection, so the tier stays fast and runnable anywhere."""
    for item in items:
        if "/tests/unit/" not in item.path.as_posix():
            continue
        item.add_marker(pytest.mark.unit)
        if "opsdesk" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(f"{item.nodeid}: a unit test must not use the servers (move it out of tests/unit/)")


@pytest.fixture(scope="session")
def opsdesk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunEnvironment]:
    try:
        servers = locate(
            os.environ.get("OPSDESK_TEST_DATABASE_URL", DEFAULT_DATABASE_URL),
            os.environ.get("OPSDESK_TEST_AMQP_URL", DEFAULT_AMQP_URL),
            os.environ.get("OPSDESK_TEST_AMQP_MANAGEMENT_URL"),
        )
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    run_id = uuid.uuid4().hex[:8]
    vhost = f"opsdesk_t{run_id}"
    admin = VhostAdmin(servers)
    admin.create(vhost)
    keys = tmp_path_factory.mktemp("keys")
    private, public = _write_keys(keys)
    personal_data.create_key_file(pii := keys / "pii.key")
    web_session_key, totp_key = _write_gateway_keys(keys)
    _write_audit_key(audit_key := keys / "audit.key")
    env = RunEnvironment(
        servers,
        run_id,
        f"opsdesk_t{run_id}",
        vhost,
        servers.amqp_url_for(vhost),
        private,
        public,
        pii,
        audit_key,
        tmp_path_factory.mktemp("audit-archive"),
        web_session_key_file=web_session_key,
        totp_key_file=totp_key,
    )
    try:
        yield env
    finally:
        from opsdesk_shared.db import drop_database

        async def drop_all() -> None:
            for service in SERVICES:
                await drop_database(servers.database_url, f"{env.database_prefix}_{service}")

        asyncio.run(drop_all())
        admin.delete(vhost)
        for container in servers.containers:
            container.stop()


@pytest.fixture(scope="session")
def token(opsdesk: RunEnvironment) -> Callable[..., str]:
    return opsdesk.token
