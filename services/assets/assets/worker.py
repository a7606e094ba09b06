"""The assets service's worker: its event consumers and its outbox relay."""

from assets.config import AssetsSettings
from assets.messaging.consumers import SUBSCRIPTIONS
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.worker import run_worker


async def run(settings: AssetsSettings) -> None:
    engine = create_engine(settings)
    try:
        await run_worker(settings, session_factory(engine), SUBSCRIPTIONS)
    finally:
        await engine.dispose()
