"""Intake's worker: dispatch's and the gateway's events, the outbox relay, and auto-closing."""

from intake.config import IntakeSettings
from intake.messaging.consumers import subscriptions
from intake.tickets.autoclose import AutoCloser
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.worker import run_worker


async def run(settings: ServiceSettings) -> None:
    assert isinstance(settings, IntakeSettings)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    closer = AutoCloser(sessions, quiet_hours=settings.auto_close_after_h, interval_s=settings.auto_close_interval_s)
    try:
        await run_worker(settings, sessions, subscriptions(settings), tasks=[closer])
    finally:
        await engine.dispose()
