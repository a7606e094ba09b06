"""Audit retention: entries past the retention period are archived to a durable file and purged as a prefix of
the chain, the purge is itself audited and signed, the chain still verifies from the purge's anchor, and the
database refuses to delete anything younger than 180 days, purge or not."""

import asyncio
import dataclasses
import gzip
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import audit_chain
from gateway.admin.audit_verification import verify
from gateway.admin.models import AuditEntry
from gateway.audit_chain import AuditKey
from gateway.audit_checkpoints import CheckpointStore
from gateway.audit_retention import purge_expired
from gateway.config import GatewaySettings
from opsdesk_shared.db import create_engine, drop_database, session_factory
from opsdesk_shared.migrations import migrate
from opsdesk_shared.testing.plugin import RunEnvironment


async def append_aged(sessions: async_sessionmaker[AsyncSession], key: AuditKey, age_days: int) -> None:
    """An entry as the gateway chains it, written `age_days` ago."""
    async with sessions() as session, session.begin():
        at = datetime.now(UTC) - timedelta(days=age_days)
        entry = AuditEntry(
            at=at, actor_name="someone", action="tickets.post.ok", method="POST", path="/api/tickets", status=201
        )
        await audit_chain.append(session, key, entry)


@pytest.fixture
async def own_gateway_database(migrated: RunEnvironment) -> AsyncIterator[RunEnvironment]:
    """A gateway database of this test's own: retention works on the whole chain."""
    env = dataclasses.replace(migrated, database_prefix=f"{migrated.database_prefix}ret")
    await migrate(env.settings(GatewaySettings, jwt_private_key_file=env.private_key_file), "gateway")
    yield env
    await drop_database(env.servers.database_url, f"{env.database_prefix}_gateway")


async def test_old_entries_are_archived_and_purged_and_the_chain_still_verifies(
    own_gateway_database: RunEnvironment, tmp_path: Path
) -> None:
    env = own_gateway_database
    key = AuditKey.load(env.audit_key_file)
    conn = await asyncpg.connect(f"{env.servers.database_url}/{env.database_prefix}_gateway")
    engine = create_engine(env.settings(GatewaySettings, jwt_private_key_file=env.private_key_file))
    sessions = session_factory(engine)
    try:
        for age_days in [400] * 5 + [200] * 3 + [10] * 2:
            await append_aged(sessions, key, age_days)

        # The command line, as an operator or a cron job runs it, with one year's retention.
        archive_dir = tmp_path / "archive"
        run = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "gateway", "audit-purge"],
            env=os.environ
            | env.env()
            | {
                "OPSDESK_DATABASE_PREFIX": env.database_prefix,
                "OPSDESK_AUDIT_RETENTION_DAYS": "365",
                "OPSDESK_AUDIT_ARCHIVE_DIR": str(archive_dir),
                "OPSDESK_LOG_FORMAT": "json",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        first = json.loads(run.stdout.strip().splitlines()[-1])
        assert (first["entries"], first["first_seq"], first["last_seq"]) == (5, 1, 5)
        archive = archive_dir / first["archive"]
        assert hashlib.sha256(archive.read_bytes()).hexdigest() == first["archive_sha256"]
        archived = [json.loads(line) for line in gzip.open(archive, "rt", encoding="utf-8")]
        assert [e["chain_seq"] for e in archived] == [1, 2, 3, 4, 5]
        assert all(len(e["entry_hash"]) == 64 for e in archived)
        assert await conn.fetchval("SELECT min(chain_seq) FROM audit_log") == 6

        # Then the legal minimum, from the gateway's own loop function; the purge entry is in the chain.
        second = await purge_expired(sessions, key=key, retention_days=180, archive_dir=archive_dir)
        assert (second.entries, second.first_seq, second.last_seq) == (3, 6, 8)
        again = await purge_expired(sessions, key=key, retention_days=180, archive_dir=archive_dir)
        assert again.entries == 0
        check = await verify(sessions, key, CheckpointStore(archive_dir, key), full=True)
        assert check.intact, check
        assert check.entries == 2 + 2  # the two young entries and the two purges' own entries
        purges = await conn.fetch("SELECT changes FROM audit_log WHERE action = 'audit.purge.ok' ORDER BY chain_seq")
        assert [json.loads(p["changes"])[0]["entries"] for p in purges] == [5, 3]
        assert await conn.fetchval("SELECT count(*) FROM audit_log_purge") == 2

        # Nothing younger than 180 days goes, not even inside a purge; outside a purge nothing goes at all.
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            async with conn.transaction():
                await conn.execute("SET LOCAL opsdesk.audit_purge = 'on'")
                await conn.execute("DELETE FROM audit_log WHERE at > now() - interval '30 days'")
        await append_aged(sessions, key, 300)
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM audit_log WHERE at < now() - interval '250 days'")
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM audit_log_purge")
    finally:
        await conn.close()
        await engine.dispose()


async def test_the_archive_is_on_disk_before_its_entries_leave_the_database(
    own_gateway_database: RunEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash right after the purge commits must find the archive written through, name and all."""
    env = own_gateway_database
    key = AuditKey.load(env.audit_key_file)
    engine = create_engine(env.settings(GatewaySettings, jwt_private_key_file=env.private_key_file))
    sessions = session_factory(engine)
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    try:
        for _ in range(3):
            await append_aged(sessions, key, 400)
        result = await purge_expired(sessions, key=key, retention_days=365, archive_dir=tmp_path)
    finally:
        await engine.dispose()
    assert result.entries == 3 and result.archive is not None
    assert str(tmp_path) in synced  # the directory, so the rename survives
    assert any(p.startswith(str(tmp_path / ".audit-upto-")) or p == str(tmp_path / result.archive) for p in synced)


def test_retention_below_the_legal_minimum_is_refused() -> None:
    with pytest.raises(ValidationError, match="audit_retention_days"):
        GatewaySettings(audit_retention_days=90)
