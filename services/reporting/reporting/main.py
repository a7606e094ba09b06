"""Reporting's API process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from opsdesk_shared.app import build_service_app, database_check
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.documents.limits import RenderLimits
from reporting.api import archive, contract, plans, reports
from reporting.config import ReportingSettings


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    settings = settings or ReportingSettings()
    engine = create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = session_factory(engine)
        app.state.settings = settings
        app.state.render_limits = RenderLimits(
            per_user=settings.report_renders_per_user, timeout_s=settings.report_render_timeout_s
        )
        yield
        await engine.dispose()

    app = build_service_app(settings, title="OpsDesk reporting", lifespan=lifespan, readiness=[database_check(engine)])
    for module in (reports, plans, contract, archive):
        app.include_router(module.router)
    return app
