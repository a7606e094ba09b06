"""The worker's inspection clock: makes each day's rounds and records the missed ones, at start and then
every `tick_s` (a worker that was down catches up when it returns; several workers share the work through
row locks)."""

import asyncio
from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assets.inspections import service

log = structlog.get_logger(__name__)


class InspectionClock:
    __name__ = "inspection-clock"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        tick_s: float = 30.0,
        clock: Callable[[], datetime] = service.now,
    ) -> None:
        self.sessions, self.tick_s, self.clock = sessions, tick_s, clock

    async def tick(self) -> tuple[int, int]:
        at = self.clock()
        async with self.sessions.begin() as session:
            made = await service.generate(session, at)
        missed = 0
        while True:
            async with self.sessions.begin() as session:
                batch = await service.record_missed(session, at)
            missed += batch
            if batch == 0:
                break
        if made or missed:
            log.info("inspection_rounds", made=made, missed=missed)
        return made, missed

    async def __call__(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # the database away for a moment: the next tick catches up
                log.exception("inspection_clock_failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.tick_s)
            except TimeoutError:
                pass
