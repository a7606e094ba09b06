"""The tampering drill: the gateway's database set up as in production (tables owned by a role the services
do not log in as, the gateway logging in as an application role granted what `grant-app-role` grants), and
then, with those credentials, every way of rewriting the audit chain tried.

The roles are this run's own (`<run prefix>drill_owner`, `..._app`, not superusers) and dropped afterwards:
the tests otherwise connect as `postgres`, which can do anything.

- As the application (what a stolen gateway database password gives): editing, deleting and truncating are
  refused outright; what it may do (append, record a purge, delete old entries inside a purge) it cannot do
  so that verification still says intact.
- As the owner (who holds the database but not the audit key): with the triggers disabled, an edited entry, a
  deleted oldest, middle or newest entry, a truncated table, each is reported by verification.
"""

import dataclasses
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway import audit_chain
from gateway.admin.audit_verification import ChainCheck, verify
from gateway.admin.models import AuditEntry
from gateway.audit_chain import AuditKey
from gateway.audit_checkpoints import CheckpointStore
from gateway.audit_retention import purge_expired
from gateway.config import GatewaySettings
from gateway.database_roles import grant_app_role
from opsdesk_shared.db import create_engine, drop_database, session_factory
from opsdesk_shared.migrations import migrate
from opsdesk_shared.testing.plugin import RunEnvironment

ENTRIES = 12
OLD_ENTRIES = 4  # the first four are past the legal minimum, as retention's purge would find them


@dataclass
class Drill:
    env: RunEnvironment
    owner_dsn: str
    app_dsn: str
    admin_dsn: str
    app_engine: AsyncEngine
    key: AuditKey
    baseline: CheckpointStore
    checkpoints: CheckpointStore

    async def verify(self, *, full: bool) -> ChainCheck:
        return await verify(session_factory(self.app_engine), self.key, self.checkpoints, full=full)


def as_role(server_url: str, role: str) -> str:
    """postgresql://postgres@host:port -> the same server, logged in as `role` (trust auth on test servers)."""
    scheme, rest = server_url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[-1]}"


@pytest.fixture(scope="module")
async def drill(migrated: RunEnvironment, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Drill]:
    env = dataclasses.replace(migrated, database_prefix=f"{migrated.database_prefix}drill")
    owner, app = f"{env.database_prefix}_owner", f"{env.database_prefix}_app"
    database = f"{env.database_prefix}_gateway"
    server = await asyncpg.connect(f"{env.servers.database_url}/postgres")
    try:
        await server.execute(f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        await server.execute(f"CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        await server.execute(f"CREATE DATABASE {database} OWNER {owner}")
        # Migrations run as the owner, so the tables are the owner's; then the owner grants the application role.
        owner_settings = env.settings(
            GatewaySettings,
            database_url=as_role(env.servers.database_url, owner),
            jwt_private_key_file=env.private_key_file,
        )
        await migrate(owner_settings, "gateway")
        owner_engine = create_engine(owner_settings)
        async with owner_engine.begin() as conn:
            await grant_app_role(conn, app)
        await owner_engine.dispose()

        app_settings = env.settings(
            GatewaySettings,
            database_url=as_role(env.servers.database_url, app),
            jwt_private_key_file=env.private_key_file,
        )
        app_engine = create_engine(app_settings)
        key = AuditKey.load(env.audit_key_file)
        drill = Drill(
            env=env,
            owner_dsn=f"{as_role(env.servers.database_url, owner)}/{database}",
            app_dsn=f"{as_role(env.servers.database_url, app)}/{database}",
            admin_dsn=f"{env.servers.database_url}/{database}",
            app_engine=app_engine,
            key=key,
            baseline=(baseline := CheckpointStore(tmp_path_factory.mktemp("drill-archive"), key)),
            checkpoints=baseline,
        )
        sessions = session_factory(app_engine)
        for n in range(ENTRIES):
            async with sessions() as session, session.begin():
                age = timedelta(days=400 if n < OLD_ENTRIES else 1)
                entry = AuditEntry(
                    at=datetime.now(UTC) - age, action="units.post.ok", method="POST", path=f"/e/{n}", status=201
                )
                await audit_chain.append(session, key, entry)
        # A verification (what the gateway does every minute) leaves a signed checkpoint at the head.
        first = await drill.verify(full=True)
        assert first.intact and first.head_seq == ENTRIES, first
        admin = await asyncpg.connect(drill.admin_dsn)
        await admin.execute("CREATE TABLE drill_saved AS SELECT * FROM audit_log")
        await admin.close()
        yield drill
        await app_engine.dispose()
    finally:
        await drop_database(env.servers.database_url, database)
        await server.execute(f"DROP ROLE IF EXISTS {app}")
        await server.execute(f"DROP ROLE IF EXISTS {owner}")
        await server.close()


@pytest.fixture
async def untouched(drill: Drill, tmp_path: Path) -> AsyncIterator[Drill]:
    """Each attempt starts from the intact chain and its checkpoint at the head, and leaves the database as it
    found it (put back as the superuser); the checkpoints it makes stay in a directory of its own."""
    shutil.copytree(drill.baseline.directory, tmp_path / "archive" / "checkpoints")
    drill.checkpoints = CheckpointStore(tmp_path / "archive", drill.key)
    assert (await drill.verify(full=True)).intact
    yield drill
    admin = await asyncpg.connect(drill.admin_dsn)
    try:
        async with admin.transaction():
            await admin.execute("SET LOCAL session_replication_role = replica")  # no triggers for the repair
            await admin.execute("DELETE FROM audit_log")
            await admin.execute("INSERT INTO audit_log OVERRIDING SYSTEM VALUE SELECT * FROM drill_saved")
            await admin.execute("DELETE FROM audit_log_purge")
            await admin.execute(
                "UPDATE audit_chain_head SET seq = s.chain_seq, hash = s.entry_hash "
                "FROM (SELECT chain_seq, entry_hash FROM drill_saved ORDER BY chain_seq DESC LIMIT 1) s"
            )
    finally:
        await admin.close()
    drill.checkpoints = drill.baseline  # the restored chain holds against the checkpoint it started from
    assert (await drill.verify(full=True)).intact


REFUSED_TO_THE_APPLICATION = [
    "UPDATE audit_log SET path = '/nothing-happened' WHERE chain_seq = 6",
    "DELETE FROM audit_log WHERE chain_seq = 1",
    "DELETE FROM audit_log WHERE chain_seq = 6",
    f"DELETE FROM audit_log WHERE chain_seq = {ENTRIES}",
    "TRUNCATE audit_log",
    "TRUNCATE audit_log_purge",
    "TRUNCATE audit_chain_head",
    "DELETE FROM audit_chain_head",
    "UPDATE audit_log_purge SET archive = 'elsewhere'",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
    "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "DROP TABLE audit_log",
]


@pytest.mark.parametrize("statement", REFUSED_TO_THE_APPLICATION)
async def test_the_application_role_cannot_edit_delete_or_truncate_the_audit_log(
    untouched: Drill, statement: str
) -> None:
    conn = await asyncpg.connect(untouched.app_dsn)
    try:
        with pytest.raises(asyncpg.PostgresError, match="append-only|permission denied|must be owner"):
            await conn.execute(statement)
    finally:
        await conn.close()
    assert await asyncpg_count(untouched.admin_dsn) == ENTRIES


async def test_truncate_is_refused_even_to_the_owner_while_the_trigger_stands(untouched: Drill) -> None:
    conn = await asyncpg.connect(untouched.owner_dsn)
    try:
        for table in ("audit_log", "audit_log_purge", "audit_chain_head"):
            with pytest.raises(asyncpg.RaiseError, match="append-only: TRUNCATE refused"):
                await conn.execute(f"TRUNCATE {table}")
    finally:
        await conn.close()


FORGED_PURGE = (
    "INSERT INTO audit_log_purge (cutoff, first_seq, last_seq, entries, last_hash, archive, archive_sha256, signature) "
    f"SELECT now(), 1, {OLD_ENTRIES}, {OLD_ENTRIES}, entry_hash, 'audit-forged.jsonl.gz', repeat('0', 64), "
    f"repeat('f', 64) FROM audit_log WHERE chain_seq = {OLD_ENTRIES}"
)

# (who, what they run, the entry verification names first, what it says, which verifications see it)
TAMPERING = {
    "the application appends a forged entry": (
        "app",
        [
            f"INSERT INTO audit_log (at, action, method, path, status, chain_seq, prev_hash, entry_hash) "
            f"SELECT now(), 'units.post.ok', 'POST', '/forged', 201, {ENTRIES + 1}, entry_hash, repeat('a', 64) "
            f"FROM audit_log WHERE chain_seq = {ENTRIES}",
            f"UPDATE audit_chain_head SET seq = {ENTRIES + 1}",
        ],
        ENTRIES + 1,
        "altered",
        ("incremental", "full"),
    ),
    "the application purges old entries with a forged purge record and no archive": (
        "app",
        [FORGED_PURGE, "SET opsdesk.audit_purge = 'on'", f"DELETE FROM audit_log WHERE chain_seq <= {OLD_ENTRIES}"],
        1,
        "not signed with the audit key",
        ("incremental", "full"),
    ),
    "the owner edits an entry": (
        "owner",
        ["UPDATE audit_log SET path = '/nothing-happened' WHERE chain_seq = 6"],
        6,
        "altered",
        ("full",),
    ),
    "the owner edits an entry and recomputes a keyless hash": (
        "owner",
        [
            "UPDATE audit_log SET path = '/nothing-happened', "
            "entry_hash = encode(sha256(convert_to(prev_hash || '/nothing-happened', 'UTF8')), 'hex') "
            "WHERE chain_seq = 6"
        ],
        6,
        "altered",
        ("full",),
    ),
    "the owner edits the newest entry": (
        "owner",
        [f"UPDATE audit_log SET status = 200 WHERE chain_seq = {ENTRIES}"],
        ENTRIES,
        "altered",
        ("incremental", "full"),
    ),
    "the owner deletes the oldest entry": (
        "owner",
        ["DELETE FROM audit_log WHERE chain_seq = 1"],
        1,
        "missing",
        ("full",),
    ),
    "the owner deletes an entry in the middle": (
        "owner",
        ["DELETE FROM audit_log WHERE chain_seq = 6"],
        6,
        "missing",
        ("full",),
    ),
    "the owner deletes an entry in the middle and renumbers the rest": (
        "owner",
        [
            "DELETE FROM audit_log WHERE chain_seq = 6",
            "UPDATE audit_log SET chain_seq = chain_seq - 1 WHERE chain_seq > 6",
            "UPDATE audit_chain_head SET seq = seq - 1",
        ],
        6,
        "altered",
        ("full",),
    ),
    "the owner deletes the newest entries and winds the head back": (
        "owner",
        [
            f"DELETE FROM audit_log WHERE chain_seq > {ENTRIES - 2}",
            f"UPDATE audit_chain_head SET seq = {ENTRIES - 2}, "
            f"hash = (SELECT entry_hash FROM audit_log WHERE chain_seq = {ENTRIES - 2})",
        ],
        ENTRIES - 1,
        "newest entries were deleted",
        ("incremental", "full"),
    ),
    "the owner truncates the log": (
        "owner",
        ["ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate", "TRUNCATE audit_log"],
        1,
        "missing",
        ("incremental", "full"),
    ),
}


@pytest.mark.parametrize("attempt", list(TAMPERING))
async def test_verification_reports_each_way_of_rewriting_the_chain(untouched: Drill, attempt: str) -> None:
    who, statements, broken_seq, problem, seen_by = TAMPERING[attempt]
    conn = await asyncpg.connect(untouched.app_dsn if who == "app" else untouched.owner_dsn)
    try:
        if who == "owner":  # what holding the database allows: the append-only trigger out of the way
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        for statement in statements:
            await conn.execute(statement)
        if who == "owner":
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER USER")
    finally:
        await conn.close()
    for mode in seen_by:
        check = await untouched.verify(full=mode == "full")
        assert not check.intact, (mode, check)
        assert check.first_broken_seq == broken_seq and problem in (check.problem or ""), (mode, check)


async def test_the_application_role_purges_with_a_signed_record_and_the_chain_still_verifies(
    untouched: Drill, tmp_path: Path
) -> None:
    """What the application role is granted is enough for retention, done properly."""
    result = await purge_expired(
        session_factory(untouched.app_engine), key=untouched.key, retention_days=365, archive_dir=tmp_path
    )
    assert (result.entries, result.first_seq, result.last_seq) == (OLD_ENTRIES, 1, OLD_ENTRIES)
    for full in (False, True):
        check = await untouched.verify(full=full)
        assert check.intact and check.head_seq == ENTRIES + 1, check  # the purge's own entry


async def asyncpg_count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM audit_log"))
    finally:
        await conn.close()


def test_grant_app_role_takes_plain_role_names_only() -> None:
    from gateway.database_roles import app_role_grants

    with pytest.raises(ValueError, match="plain role name"):
        app_role_grants("app; DROP TABLE audit_log")
    assert any("audit_chain_head" in g for g in app_role_grants("opsdesk_gateway_app"))
