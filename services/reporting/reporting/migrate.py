from sqlalchemy import text

from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.messaging.setup import declare_subscriptions
from opsdesk_shared.migrations import migrate
from opsdesk_shared.settings import ServiceSettings
from reporting.messaging.consumers import SUBSCRIPTIONS
from reporting.rebuild import rebuild_read_model


async def run(settings: ServiceSettings) -> None:
    await migrate(settings, "reporting")
    await _rebuild_if_empty(settings)
    await declare_subscriptions(settings, SUBSCRIPTIONS)


async def _rebuild_if_empty(settings: ServiceSettings) -> None:
    """A migration that reshapes the projections leaves them empty: refill them from the kept events."""
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session, session.begin():
            has_events = await session.scalar(text("SELECT EXISTS (SELECT 1 FROM stored_event)"))
            has_facts = await session.scalar(text("SELECT EXISTS (SELECT 1 FROM ticket_fact)"))
            if has_events and not has_facts:
                await rebuild_read_model(session, progress=False)
    finally:
        await engine.dispose()
