"""Upgrading past dispatch_0011: the old project-manager flag goes, and its holders who lack the gateway's
`project_manager` role are kept for the one-time step, which lists them until the gateway's user event brings
the role."""

import asyncio
import uuid

import asyncpg
from alembic import command

from dispatch.config import DispatchSettings
from dispatch.directory import handover
from opsdesk_shared.db import create_engine, drop_database, ensure_database, session_factory
from opsdesk_shared.migrations import alembic_config
from opsdesk_shared.testing.plugin import RunEnvironment


async def test_the_flags_holders_without_the_role_are_listed_until_they_hold_it(migrated: RunEnvironment) -> None:
    base = migrated.settings(DispatchSettings)
    settings = base.model_copy(update={"database_prefix": f"{base.database_prefix}_pmflag"})
    await ensure_database(settings.database_url, settings.database_name)
    try:
        await asyncio.to_thread(command.upgrade, alembic_config(settings, "dispatch"), "dispatch_0008")
        people = {name: uuid.uuid4() for name in ("flagged", "flagged_with_role", "plain")}
        conn = await asyncpg.connect(f"{settings.database_url}/{settings.database_name}")
        try:
            for name, roles, flag in (
                ("flagged", ["engineer"], True),
                ("flagged_with_role", ["engineer", "project_manager"], True),
                ("plain", ["engineer"], False),
            ):
                await conn.execute(
                    "INSERT INTO staff_member (user_id, username, display_name, roles, is_project_manager, updated_at)"
                    " VALUES ($1, $2, $3, $4, $5, now())",
                    people[name],
                    name,
                    f"姓名{name}",
                    roles,
                    flag,
                )
            await asyncio.to_thread(command.upgrade, alembic_config(settings, "dispatch"), "dispatch_0011")
            columns = await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'staff_member'"
            )
            assert "is_project_manager" not in {c["column_name"] for c in columns}

            engine = create_engine(settings)
            try:
                async with session_factory(engine)() as session:
                    assert await handover.pending(session) == [("flagged", "姓名flagged")]
                # The administrator grants the role; the gateway's user.updated brings it here.
                await conn.execute(
                    "UPDATE staff_member SET roles = '{engineer,project_manager}' WHERE user_id = $1", people["flagged"]
                )
                async with session_factory(engine)() as session:
                    assert await handover.pending(session) == []
            finally:
                await engine.dispose()
        finally:
            await conn.close()
    finally:
        await drop_database(settings.database_url, settings.database_name)
