"""The assets service's API process: the equipment ledger and the technical ledger."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assets.api import inspections, ledger, measures, spreadsheets, technical
from assets.config import AssetsSettings
from opsdesk_shared.app import build_service_app, database_check
from opsdesk_shared.db import create_engine, session_factory


def create_app(settings: AssetsSettings | None = None) -> FastAPI:
    settings = settings or AssetsSettings()
    engine = create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = session_factory(engine)
        yield
        await engine.dispose()

    app = build_service_app(settings, title="OpsDesk assets", lifespan=lifespan, readiness=[database_check(engine)])
    # The spreadsheet routes first: `/api/assets/import` and `/api/assets/export` are not asset ids.
    for module in (spreadsheets, ledger, technical, inspections, measures):
        app.include_router(module.router)
    return app
