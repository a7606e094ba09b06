"""Notifications' API process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from notifications.api import admin, aliyun_push, business
from notifications.api.router import router as sms_router
from notifications.config import NotificationsSettings
from opsdesk_shared.app import build_service_app, database_check
from opsdesk_shared.db import create_engine, session_factory


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    settings = settings or NotificationsSettings()
    engine = create_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sessions = session_factory(engine)
        app.state.engine = engine
        yield
        await engine.dispose()

    app = build_service_app(
        settings, title="OpsDesk notifications", lifespan=lifespan, readiness=[database_check(engine)]
    )
    for router in (sms_router, admin.router, business.router, aliyun_push.router):
        app.include_router(router)
    return app
