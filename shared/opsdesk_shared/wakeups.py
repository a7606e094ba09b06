"""Sleeping until there is work: a PostgreSQL `LISTEN` that sets an event, and a wait that ends on that
event, on shutdown or at a time-out. Shared by every loop that polls the database (outbox relay, SMS
sender, SLA timer) so none of them busy-waits or misses a stop."""

import asyncio
from collections.abc import Callable

import asyncpg
import structlog

log = structlog.get_logger(__name__)


async def listen(dsn: str, channel: str, on_notify: Callable[..., None]) -> asyncpg.Connection | None:
    """A connection listening on `channel`; None (logged) if the database is away — callers poll meanwhile
    and try again later."""
    try:
        conn = await asyncpg.connect(dsn)
        await conn.add_listener(channel, on_notify)
        return conn
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("listen_failed", channel=channel, error=repr(exc)[:300])
        return None


async def close(conn: asyncpg.Connection | None) -> None:
    if conn is not None and not conn.is_closed():
        await conn.close()


async def wait_any(stop: asyncio.Event, wake: asyncio.Event, timeout: float) -> None:
    """Returns when `stop` or `wake` is set, or after `timeout` seconds."""
    if timeout <= 0:
        return
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
