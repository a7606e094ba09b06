"""Entries written before the keyed chain (migration gateway_0009) are re-keyed by it, purges included, and
verify with the key afterwards; a keyless chain that no longer holds is refused rather than laundered."""

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from alembic import command

from gateway.admin.audit_verification import verify
from gateway.audit_chain import AuditKey
from gateway.audit_checkpoints import CheckpointStore
from gateway.config import GatewaySettings
from opsdesk_shared.db import create_engine, drop_database, ensure_database, session_factory
from opsdesk_shared.migrations import alembic_config, migrate
from opsdesk_shared.testing.plugin import RunEnvironment

LEGACY_INSERT = (
    "INSERT INTO audit_log (at, actor_name, action, method, path, status, changes) "
    "VALUES (now() - make_interval(days => $1), 'someone', 'units.post.ok', 'POST', $2, 201, $3::jsonb)"
)


@pytest.fixture
async def before_the_keyed_chain(migrated: RunEnvironment) -> AsyncIterator[tuple[GatewaySettings, str]]:
    """A gateway database at gateway_0006 (the keyless chain), with entries written by its trigger."""
    env = dataclasses.replace(migrated, database_prefix=f"{migrated.database_prefix}rekey")
    settings = env.settings(GatewaySettings, jwt_private_key_file=env.private_key_file)
    await ensure_database(settings.database_url, settings.database_name)
    config = alembic_config(settings, "gateway")
    await asyncio.to_thread(command.upgrade, config, "gateway_0006")
    dsn = f"{env.servers.database_url}/{settings.database_name}"
    conn = await asyncpg.connect(dsn)
    try:
        for n, age in enumerate([400, 400, 300, 10, 5, 1]):
            changes = [{"op": "insert", "table": "unit", "after": {"n": n, "ratio": 2.0, "名": "派出所"}}]
            await conn.execute(LEGACY_INSERT, age, f"/api/admin/units/{n}", json.dumps(changes, ensure_ascii=False))
        # A purge of the first two, as retention recorded it before purges were signed.
        last_hash = await conn.fetchval("SELECT entry_hash FROM audit_log WHERE chain_seq = 2")
        await conn.execute(
            "INSERT INTO audit_log_purge (cutoff, first_seq, last_seq, entries, last_hash, archive, archive_sha256) "
            "VALUES (now() - interval '365 days', 1, 2, 2, $1, 'audit-000000000001-000000000002.jsonl.gz', $2)",
            last_hash,
            "0" * 64,
        )
        async with conn.transaction():
            await conn.execute("SET LOCAL opsdesk.audit_purge = 'on'")
            await conn.execute("DELETE FROM audit_log WHERE chain_seq <= 2")
    finally:
        await conn.close()
    yield settings, dsn
    await drop_database(env.servers.database_url, settings.database_name)


async def test_existing_entries_and_purges_are_re_keyed_and_verify_with_the_key(
    before_the_keyed_chain: tuple[GatewaySettings, str], tmp_path: Path
) -> None:
    settings, dsn = before_the_keyed_chain
    conn = await asyncpg.connect(dsn)
    keyless = dict(await conn.fetch("SELECT chain_seq, entry_hash FROM audit_log"))
    await migrate(settings, "gateway")
    rekeyed = dict(await conn.fetch("SELECT chain_seq, entry_hash FROM audit_log"))
    assert await conn.fetchval("SELECT signature FROM audit_log_purge") is not None
    assert await conn.fetchval("SELECT seq FROM audit_chain_head") == 6
    await conn.close()
    assert set(rekeyed) == set(keyless) == {3, 4, 5, 6}
    assert all(rekeyed[seq] != keyless[seq] for seq in rekeyed)  # nothing a keyless hash can reproduce

    key = AuditKey.load(settings.audit_key_file)
    engine = create_engine(settings)
    try:
        check = await verify(session_factory(engine), key, CheckpointStore(tmp_path, key), full=True)
    finally:
        await engine.dispose()
    assert check.intact and (check.from_seq, check.head_seq, check.entries) == (2, 6, 4), check


async def test_a_keyless_chain_that_no_longer_holds_is_not_re_keyed(
    before_the_keyed_chain: tuple[GatewaySettings, str],
) -> None:
    settings, dsn = before_the_keyed_chain
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await conn.execute("UPDATE audit_log SET path = '/nothing-happened' WHERE chain_seq = 4")
        await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
        with pytest.raises(RuntimeError, match="does not hold at entry 4"):
            await migrate(settings, "gateway")
        # Nothing half done: the migration's transaction rolled back.
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == "gateway_0006"
    finally:
        await conn.close()
