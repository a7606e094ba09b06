"""Dispatch's API process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from dispatch.api import duty, engineers, queue, sla, work_orders
from dispatch.config import DispatchSettings
from opsdesk_shared.app import build_service_app, database_check
from opsdesk_shared.db import create_engine, session_factory


def create_app(settings: DispatchSettings | None = None) -> FastAPI:
    settings = settings or DispatchSettings()
    engine = create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = session_factory(engine)
        yield
        await engine.dispose()

    app = build_service_app(settings, title="OpsDesk dispatch", lifespan=lifespan, readiness=[database_check(engine)])
    for module in (sla, work_orders, engineers, duty, queue):
        app.include_router(module.router)
    return app
