"""Dispatch's worker: event consumers, the outbox relay and the SLA timer."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dispatch.config import DispatchSettings
from dispatch.messaging.consumers import SUBSCRIPTIONS
from dispatch.sla.timer import SlaTimer
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.worker import run_worker


def sla_timer(settings: DispatchSettings, sessions: async_sessionmaker[AsyncSession]) -> SlaTimer:
    return SlaTimer(
        sessions, settings.asyncpg_dsn, batch_size=settings.sla_timer_batch, max_sleep_s=settings.sla_timer_max_sleep_s
    )


async def run(settings: DispatchSettings) -> None:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        await run_worker(settings, sessions, SUBSCRIPTIONS, tasks=[sla_timer(settings, sessions)])
    finally:
        await engine.dispose()
