"""The common shape of every service's FastAPI app: errors, observability, token verification."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from opsdesk_shared.audit_trail import AuditTrailMiddleware
from opsdesk_shared.errors import install_error_handlers
from opsdesk_shared.observability import ReadinessCheck, install_observability
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.verified_tokens import CachingTokenVerifier


def database_check(engine: AsyncEngine) -> ReadinessCheck:
    async def database() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return database


def build_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]],
    readiness: list[ReadinessCheck],
    version: str = "0.1.0",
) -> FastAPI:
    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # OpsDesk's metrics are Prometheus (observability.py) and its traces are the request and correlation
        # ids in the logs. FastAPI's built-in OpenTelemetry, left on, looks for a configured provider on
        # every request (environment lookups: about 5 % of the gateway's CPU under load).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.token_verifier = CachingTokenVerifier(
        settings.jwt_public_key(), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    install_error_handlers(app)
    # Before/after of what each write changes, for the gateway's audit log.
    app.add_middleware(AuditTrailMiddleware)
    install_observability(app, settings.service_name, readiness)
    return app
