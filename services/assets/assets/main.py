"""The assets service's API process: the equipment and technical ledgers, inspections, training and visits."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assets.api import (
    history,
    inspections,
    labels,
    ledger,
    measures,
    monitoring,
    spares,
    spreadsheets,
    technical,
    training,
    visits,
)
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
    # The spreadsheet, analysis and label routes first: `/api/assets/import`, `/faults`, `/labels` are not ids.
    for module in (
        spreadsheets,
        history,
        labels,
        ledger,
        technical,
        inspections,
        monitoring,
        spares,
        training,
        visits,
        measures,
    ):
        app.include_router(module.router)
    return app
