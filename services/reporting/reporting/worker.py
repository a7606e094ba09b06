"""Reporting's worker: the all-events consumer and the outbox relay."""

from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.worker import run_worker
from reporting.messaging.consumers import SUBSCRIPTIONS


async def run(settings: ServiceSettings) -> None:
    engine = create_engine(settings)
    try:
        await run_worker(settings, session_factory(engine), SUBSCRIPTIONS)
    finally:
        await engine.dispose()
