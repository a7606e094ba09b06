"""Database plumbing: the async engine, the unit of work, and creating a service's own database.

One transaction per request or message: the `UnitOfWork` commits once and rolls back by default, and
the outbox row joins that same transaction (see messaging/outbox.py).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import Column, DateTime, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util.concurrency import await_

from opsdesk_shared import personal_data
from opsdesk_shared.settings import ServiceSettings, database_dsn

# Constraint names every migration can rely on (fastapi-best-practices' naming convention).
NAMING_CONVENTION = {
    "ix": "%(column_0_label)s_idx",
    "uq": "%(table_name)s_%(column_0_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}


def service_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


# Python types -> column types for typed mappings (`Mapped[datetime]` is always a timestamptz: OpsDesk keeps
# every instant in UTC with its zone, SPEC §5). A service's declarative base sets
# `type_annotation_map = TYPE_ANNOTATION_MAP`.
TYPE_ANNOTATION_MAP: dict[Any, Any] = {datetime: DateTime(timezone=True)}


def timestamp(**kwargs: Any) -> "Column[datetime]":
    """A timestamptz column for SQLModel's `sa_column=` (tables not yet on typed mappings)."""
    return Column(DateTime(timezone=True), **kwargs)


def create_engine(settings: ServiceSettings, **kwargs: Any) -> AsyncEngine:
    # Whoever talks to a service database may read or write phone numbers: the key is loaded first, so a
    # process without it stops at start instead of failing requests later.
    personal_data.configure(settings.pii_key_file)
    engine = create_async_engine(
        settings.sqlalchemy_url,
        # A fixed pool: every process's share of the server's connections is known in advance (SPEC §3:
        # nine processes plus relays and listeners must fit PostgreSQL's default 100). Under load, requests
        # queue for a connection instead of exhausting the server.
        pool_size=settings.database_pool_size,
        max_overflow=0,
        pool_timeout=10,
        pool_pre_ping=True,
        # Several replicas and a relay share one server; keep idle connections from piling up.
        pool_recycle=1800,
        **kwargs,
    )
    # The dialect's ping replaced on this engine's instance (a class attribute, hence setattr): see `_ping`.
    setattr(engine.sync_engine.dialect, "do_ping", _ping)  # noqa: B010
    return engine


def _ping(dbapi_connection: Any) -> bool:
    """`pool_pre_ping` in one round trip. SQLAlchemy's asyncpg ping wraps its `;` in BEGIN ... ROLLBACK so
    that it also works behind pgbouncer in transaction mode (sqlalchemy#10226). OpsDesk connects straight
    to PostgreSQL, and those two extra round trips on every checkout were about 5 % of the gateway's CPU.
    A failure goes through the adapter's own translation, so the pool still sees a disconnect as one and
    reconnects (the PostgreSQL-restart drill in tests/e2e/test_fault_drills.py)."""
    try:
        await_(dbapi_connection._connection.fetchrow(";"))
    except Exception as error:  # noqa: BLE001 (translated to the DBAPI's errors, as SQLAlchemy's ping does)
        dbapi_connection._handle_exception(error)
    return True


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """Holds a lock named `key` until the session's transaction ends (PostgreSQL's advisory locks)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction that commits only when the block finishes without error."""
    async with sessions() as session, session.begin():
        yield session


async def ensure_database(server_url: str, database: str) -> bool:
    """Create `database` on the server if it does not exist. Returns True when it was created."""
    conn = await asyncpg.connect(database_dsn(server_url, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{database}"')
        except asyncpg.exceptions.DuplicateDatabaseError:
            return False  # another process created it at the same moment
        return True
    finally:
        await conn.close()


async def drop_database(server_url: str, database: str) -> None:
    conn = await asyncpg.connect(database_dsn(server_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await conn.close()
