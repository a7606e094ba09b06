"""The engine's pool against the real PostgreSQL of this run: a connection the server dropped (a restart,
an idle timeout, an administrator) is found out at checkout and replaced, so the next request does not
fail for it."""

import asyncio
import time

from sqlalchemy import text

from intake.config import IntakeSettings
from opsdesk_shared.db import create_engine
from opsdesk_shared.testing.plugin import RunEnvironment


async def test_a_connection_the_server_dropped_is_replaced_at_checkout(migrated: RunEnvironment) -> None:
    engine = create_engine(migrated.settings(IntakeSettings, database_pool_size=1))
    admin = create_engine(migrated.settings(IntakeSettings, database_pool_size=1))
    try:
        async with engine.connect() as conn:
            dropped = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT pg_backend_pid()")) == dropped  # the pool keeps it
        async with admin.connect() as conn:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
            deadline = time.monotonic() + 30
            while True:  # until the server has let it go
                # Within a transaction PostgreSQL answers pg_stat_activity from a snapshot taken at its first
                # read: without clearing it, a backend still exiting at that read stays there forever.
                await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
                state = await conn.scalar(text("SELECT state FROM pg_stat_activity WHERE pid = :p"), {"p": dropped})
                if state is None:
                    break
                assert time.monotonic() < deadline, f"backend {dropped} was terminated but did not go away"
                await asyncio.sleep(0.02)
        async with engine.connect() as conn:
            replaced = await conn.scalar(text("SELECT pg_backend_pid()"))
        assert replaced != dropped
        async with engine.connect(), admin.connect() as probe:  # checked out, so pinged; nothing run on it yet
            state = await probe.scalar(text("SELECT state FROM pg_stat_activity WHERE pid = :p"), {"p": replaced})
        assert state == "idle"  # the ping left no transaction open behind it
    finally:
        await engine.dispose()
        await admin.dispose()
