"""How long a consumer remembers the events it processed (`inbox_message`).

Long enough that any event a restore can publish again is recognised: the restore replays every outbox
row kept (OPSDESK_OUTBOX_RETENTION_DAYS), and the settings refuse an inbox retention shorter than that
plus a day. Forgetting sooner would let a replayed event be applied twice; never forgetting grows the
table without bound.
"""

import asyncio
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger(__name__)

_PURGE = text("DELETE FROM inbox_message WHERE processed_at < now() - make_interval(secs => :seconds)")


async def purge_inbox(sessions: async_sessionmaker[AsyncSession], retention_days: float) -> int:
    async with sessions() as session, session.begin():
        # A DELETE's result is a cursor result (it has a rowcount); SQLAlchemy's stubs type it generically.
        result = cast(CursorResult[Any], await session.execute(_PURGE, {"seconds": retention_days * 86400}))
    return int(result.rowcount or 0)


class InboxRetention:
    """The worker's hourly purge of inbox records older than the retention."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], retention_days: float, *, interval_s: float = 3600
    ) -> None:
        self.sessions = sessions
        self.retention_days = retention_days
        self.interval_s = interval_s
        self.__name__ = "inbox-retention"

    async def __call__(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                purged = await purge_inbox(self.sessions, self.retention_days)
                if purged:
                    log.info("inbox_purged", rows=purged, retention_days=self.retention_days)
            except Exception as exc:  # database away: next round
                log.warning("inbox_purge_failed", error=repr(exc)[:300])
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                pass
