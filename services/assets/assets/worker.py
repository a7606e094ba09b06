"""The assets service's worker: its event consumers and its outbox relay."""

from assets.messaging.consumers import SUBSCRIPTIONS
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.worker import run_worker


async def run(settings: ServiceSettings) -> None:
    engine = create_engine(settings)
    try:
        await run_worker(settings, session_factory(engine), SUBSCRIPTIONS)
    finally:
        await engine.dispose()
