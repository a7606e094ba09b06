"""Reporting's worker: the all-events consumer, the outbox relay and the Monday weekly report."""

from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.worker import run_worker
from reporting.archive.service import WeeklyArchiver
from reporting.config import ReportingSettings
from reporting.messaging.consumers import SUBSCRIPTIONS


async def run(settings: ServiceSettings) -> None:
    assert isinstance(settings, ReportingSettings)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    try:
        await run_worker(settings, sessions, SUBSCRIPTIONS, tasks=[WeeklyArchiver(sessions, settings)])
    finally:
        await engine.dispose()
