"""Intake's worker: the outbox relay (and, as dispatch's events arrive, the status projection)."""

from intake.config import IntakeSettings
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.worker import run_worker


async def run(settings: ServiceSettings) -> None:
    assert isinstance(settings, IntakeSettings)
    engine = create_engine(settings)
    try:
        await run_worker(settings, session_factory(engine), subscriptions=[])
    finally:
        await engine.dispose()
