"""The assets service's worker: its event consumers, its outbox relay, the inspection clock and the visit clock."""

from assets.config import AssetsSettings
from assets.inspections.clock import InspectionClock
from assets.messaging.consumers import SUBSCRIPTIONS
from assets.visits.clock import VisitClock
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.worker import run_worker


async def run(settings: AssetsSettings) -> None:
    engine = create_engine(settings)
    try:
        sessions = session_factory(engine)
        clock = InspectionClock(sessions, tick_s=settings.inspection_tick_s)
        visits = VisitClock(sessions, tick_s=settings.visit_tick_s)
        await run_worker(settings, sessions, SUBSCRIPTIONS, tasks=[clock, visits])
    finally:
        await engine.dispose()
