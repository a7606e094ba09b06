"""The gateway's API process: auth, admin, the reverse proxy to the services, the merged OpenAPI, the web UI.

Its background work (outbox relay, audit retention and checkpoints, TOTP resealing) runs in
`python -m gateway worker` (worker.py), so every replica here only serves requests.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway import failure_audit, forwarding, health, openapi
from gateway.admin import audit_verification
from gateway.admin.router import router as admin_router
from gateway.audit_appender import AuditAppender
from gateway.audit_chain import AuditKey
from gateway.audit_checkpoints import CheckpointStore
from gateway.auth.router import router as auth_router
from gateway.auth.tokens import TokenIssuer
from gateway.auth.totp import SecretBox
from gateway.config import GatewaySettings
from gateway.edge import EdgeMiddleware
from gateway.proxy import Proxy
from gateway.rate_limits import RateLimits
from gateway.saved_views.router import router as saved_views_router
from gateway.web.live import LiveHub
from gateway.web.router import install as install_web_ui
from gateway.web.session_locks import SessionLocks
from opsdesk_shared.app import build_service_app, database_check
from opsdesk_shared.db import create_engine, session_factory


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    engine = create_engine(settings)
    proxy = Proxy(settings.upstreams(), timeout_s=settings.upstream_timeout_s, max_body_bytes=settings.max_body_bytes)
    live_hub = LiveHub(settings.amqp_url)
    rate_limits = RateLimits(settings.redis_url, key_prefix=settings.redis_key_prefix)
    web_locks = SessionLocks(
        settings.redis_url, key_prefix=settings.redis_key_prefix, ttl_s=settings.session_lifetime_s
    )
    failures = failure_audit.UnauthenticatedFailures()
    audit_key = AuditKey.load(settings.audit_key_file)

    async def fan_out() -> dict[str, object]:
        assert proxy.session is not None
        return await health.aggregate_health(proxy.session, settings.services(), own=database_check(engine))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rate_limits.start()
        app.state.sessions = session_factory(engine)
        app.state.audit_appender = AuditAppender(engine, audit_key)  # the edge's audit entries (edge.py)
        app.state.audit_verifications = audit_verification.FullVerifications(
            app.state.sessions, audit_key, app.state.audit_checkpoints
        )
        await proxy.start()
        live_hub.start()
        stop = asyncio.Event()
        # In this process, not the worker: it flushes what this process counted (failed sign-ins without an
        # account), so each replica writes its own.
        failure_flusher = asyncio.create_task(
            failure_audit.run(
                failures, app.state.sessions, audit_key, stop, window_s=settings.unauthenticated_audit_window_s
            ),
            name="gateway-unauthenticated-audit",
        )
        yield
        stop.set()
        await app.state.audit_verifications.stop()
        await app.state.audit_appender.drain()
        await asyncio.gather(failure_flusher, return_exceptions=True)
        await live_hub.stop()
        await proxy.close()
        await rate_limits.close()
        await web_locks.close()
        await engine.dispose()

    app = build_service_app(settings, title="OpsDesk gateway", lifespan=lifespan, readiness=[database_check(engine)])
    app.state.issuer = TokenIssuer(
        settings.jwt_private_key(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_s=settings.access_token_ttl_s,
    )
    if app.state.issuer.key_id not in app.state.token_verifier.keys:
        raise RuntimeError(
            "the public half of OPSDESK_JWT_PRIVATE_KEY_FILE is not in OPSDESK_JWT_PUBLIC_KEY_FILE: every token "
            "this gateway signed would be refused (when rotating, add the new public key before signing with it)"
        )
    app.state.totp_box = SecretBox(settings.totp_keys())
    app.state.audit_key = audit_key
    app.state.audit_checkpoints = CheckpointStore(settings.audit_archive_dir, audit_key)
    app.state.proxy = proxy
    app.state.openapi = openapi.OpenApiAggregator(settings.services())
    app.state.health_report = health.CachedHealth(fan_out, ttl_s=settings.health_cache_s)
    app.state.live_hub = live_hub
    app.add_middleware(
        EdgeMiddleware,
        limits=rate_limits,
        failures=failures,
        rate_limit=settings.rate_limit,
        login_rate_limit=settings.login_rate_limit,
    )
    for router in (auth_router, admin_router, saved_views_router, health.router, openapi.router):
        app.include_router(router)
    app.state.web_locks = web_locks
    install_web_ui(app, settings)
    app.include_router(forwarding.router)  # last: every other `/api/...` route first
    # Innermost, inside the edge and the request context: a service's path is forwarded without the router.
    app.user_middleware.append(Middleware(forwarding.ForwardFirst))
    # Outermost, so everything inside (rate limits, the audit log, sign-in records, the web UI) sees the
    # client's address: the connection's peer, or the client a trusted proxy names in X-Forwarded-For (the
    # right-most address not itself a trusted proxy). Here rather than uvicorn's `forwarded_allow_ips`, so
    # the setting is validated and the tests exercise the same code (`python -m gateway api` turns
    # uvicorn's own off).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxy_networks())
    return app
