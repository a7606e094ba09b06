"""`make backup` / `make restore` through the real CLI: five databases dumped, restored into empty ones
under another prefix, and the gateway started on the restored data serves the same units and users and
lets the same person sign in. A restore never overwrites, and a damaged dump is refused."""

import asyncio
import os
import shutil
import stat
import uuid
from pathlib import Path

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

from gateway import bootstrap
from gateway.auth.passwords import generate_password
from gateway.main import create_app
from opsdesk_backup.settings import SERVICES
from opsdesk_shared.db import create_engine, session_factory, unit_of_work
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import PASSWORD, cli, drop_every_database, gateway_settings, migrate_every_service


async def table_counts(env: RunEnvironment, database: str) -> dict[str, int]:
    conn = await asyncpg.connect(f"{env.servers.database_url}/{database}")
    try:
        tables = [
            r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return {t: await conn.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}
    finally:
        await conn.close()


async def test_a_dump_restores_into_empty_databases_and_serves_the_same_data(
    migrated: RunEnvironment, tmp_path: Path
) -> None:
    source, copy = f"{migrated.database_prefix}_bksrc", f"{migrated.database_prefix}_bkcopy"
    try:
        await migrate_every_service(migrated, source)
        settings = gateway_settings(migrated, source)
        engine = create_engine(settings)
        async with unit_of_work(session_factory(engine)) as session:
            await bootstrap.bootstrap_admin(session, settings)
        await engine.dispose()

        async with (
            LifespanManager(create_app(settings)) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gw") as client,
        ):
            login = await client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            unit = (
                await client.post(
                    "/api/admin/units",
                    json={"code": f"BK-{uuid.uuid4().hex[:6]}", "name": "备份测试派出所", "kind": "police_station"},
                )
            ).json()
            user_password = generate_password()
            user = await client.post(
                "/api/admin/users",
                json={
                    "username": f"bk{uuid.uuid4().hex[:6]}",
                    "password": user_password,
                    "display_name": "备份 测试",
                    "phone": "+8613800138000",
                    "roles": ["requester"],
                    "unit_id": unit["id"],
                },
            )
            assert user.status_code == 201, user.text
            await asyncio.sleep(0.5)  # the gateway's relay publishes unit.created and user.created

        code, out = await cli(migrated, source, "dump", "--to", str(tmp_path / "dump"))
        assert code == 0, out
        counts = {s: await table_counts(migrated, f"{source}_{s}") for s in SERVICES}

        code, out = await cli(migrated, copy, "restore", "--from", str(tmp_path / "dump"))
        assert code == 0, out
        assert "to publish again" in out
        for service in SERVICES:
            assert await table_counts(migrated, f"{copy}_{service}") == counts[service], service

        # Recent events are published again by the restored system (consumers absorb the duplicates).
        conn = await asyncpg.connect(f"{migrated.servers.database_url}/{copy}_gateway")
        try:
            unpublished = await conn.fetchval(
                "SELECT count(*) FROM outbox_message WHERE published_at IS NULL AND type = 'unit.created' "
                "AND envelope->'data'->>'unit_id' = $1",
                unit["id"],
            )
        finally:
            await conn.close()
        assert unpublished == 1

        restored = gateway_settings(migrated, copy)
        async with (
            LifespanManager(create_app(restored)) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://gw") as client,
        ):
            login = await client.post(
                "/api/auth/login", json={"username": user.json()["username"], "password": user_password}
            )
            assert login.status_code == 200, login.text
            admin = await client.post("/api/auth/login", json={"username": "admin", "password": PASSWORD})
            units = await client.get(
                "/api/admin/units", headers={"Authorization": f"Bearer {admin.json()['access_token']}"}
            )
            assert [u for u in units.json() if u["id"] == unit["id"]] == [unit]

        code, out = await cli(migrated, copy, "restore", "--from", str(tmp_path / "dump"))
        assert code == 1 and "is not empty" in out

        damaged = tmp_path / "dump" / "intake.dump"
        damaged.write_bytes(damaged.read_bytes()[:-10])
        code, out = await cli(migrated, f"{copy}2", "restore", "--from", str(tmp_path / "dump"))
        assert code == 1 and "checksum" in out
    finally:
        await drop_every_database(migrated, source, copy, f"{copy}2")


async def test_dumps_are_private_and_the_password_never_reaches_a_command_line(
    migrated: RunEnvironment, tmp_path: Path
) -> None:
    """Dumps hold every phone number and password hash: readable by their owner only. The database password
    reaches pg_dump through its environment, never its argv (which every local user can read in /proc).
    A `pg_dump` shim first on PATH records what the real one was given (the test server trusts local
    connections, so the made-up password is carried but not needed)."""
    secret = f"pw-{uuid.uuid4().hex}"
    shims, calls = tmp_path / "bin", tmp_path / "calls"
    shims.mkdir()
    calls.mkdir()
    shim = shims / "pg_dump"
    shim.write_text(
        "#!/bin/sh\n"
        f'log="{calls}/$$"\n'
        'printf "%s\\n" "$@" > "$log.argv"\n'
        'printf "%s" "$PGPASSWORD" > "$log.env"\n'
        f'exec {shutil.which("pg_dump")} "$@"\n'
    )
    shim.chmod(0o700)
    server = migrated.servers.database_url.replace("postgres@", f"postgres:{secret}@", 1)
    assert secret in server
    target = tmp_path / "backups" / "now"

    code, out = await cli(
        migrated,
        migrated.database_prefix,
        "dump",
        "--to",
        str(target),
        extra_env={"OPSDESK_DATABASE_URL": server, "PATH": f"{shims}:{os.environ['PATH']}"},
    )

    assert code == 0, out
    argvs = sorted(calls.glob("*.argv"))
    assert len(argvs) == len(SERVICES)
    for argv in argvs:
        assert secret not in argv.read_text(), argv.read_text()
        assert argv.with_suffix(".env").read_text() == secret  # carried by the environment instead
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    files = list(target.iterdir())
    assert {f.name for f in files} == {"manifest.json", *(f"{s}.dump" for s in SERVICES)}
    for file in files:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
