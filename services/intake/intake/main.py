"""Intake's API process: `create_app(settings)` builds it; nothing happens at import time."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from intake.api import calls, canned_replies, cti, knowledge, tickets
from intake.attachments.storage import PostgresAttachmentStore
from intake.calls.screen_pops import ScreenPopHub
from intake.config import IntakeSettings
from intake.knowledge import segmentation
from intake.tickets.numbering import NumberAllocator
from opsdesk_shared.app import build_service_app, database_check
from opsdesk_shared.db import create_engine, session_factory

log = structlog.get_logger(__name__)


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    settings = settings or IntakeSettings()
    engine = create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = session_factory(engine)
        app.state.settings = settings
        app.state.attachments = PostgresAttachmentStore()
        app.state.numbers = NumberAllocator(settings.asyncpg_dsn)  # the filings' numbers (tickets/numbering.py)
        app.state.screen_pops = ScreenPopHub(settings.asyncpg_dsn)
        await app.state.screen_pops.start()
        # jieba's dictionary, before uvicorn listens: no request (a search, an article written) pays for it.
        seconds = await asyncio.to_thread(segmentation.warm_up)
        log.info("search_dictionary_loaded", seconds=round(seconds, 2))
        yield
        await app.state.screen_pops.stop()
        await app.state.numbers.close()
        await engine.dispose()

    app = build_service_app(settings, title="OpsDesk intake", lifespan=lifespan, readiness=[database_check(engine)])
    for module in (tickets, calls, cti, canned_replies, knowledge):
        app.include_router(module.router)
    return app
