"""The worker's visit clock: makes the visits every active plan owes (a period begun, a unit opened), at
start and then every `tick_s`; several workers share it through row locks and the unique (plan, unit,
window)."""

import asyncio
from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assets.visits import service

log = structlog.get_logger(__name__)


class VisitClock:
    __name__ = "visit-clock"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        tick_s: float = 300.0,
        clock: Callable[[], datetime] = service.now,
    ) -> None:
        self.sessions, self.tick_s, self.clock = sessions, tick_s, clock

    async def tick(self) -> int:
        async with self.sessions.begin() as session:
            made = await service.schedule_all(session, self.clock())
        if made:
            log.info("visits_scheduled", made=made)
        return made

    async def __call__(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # the database away for a moment: the next tick catches up
                log.exception("visit_clock_failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.tick_s)
            except TimeoutError:
                pass
