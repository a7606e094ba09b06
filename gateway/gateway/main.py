"""The gateway: auth, admin, the reverse proxy to the services, the merged OpenAPI, the web UI."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.responses import Response
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway import audit_retention, failure_audit
from gateway.admin import audit_verification
from gateway.admin.router import router as admin_router
from gateway.audit_chain import AuditKey
from gateway.audit_checkpoints import CheckpointStore
from gateway.auth import totp_reseal
from gateway.auth.router import router as auth_router
from gateway.auth.tokens import TokenIssuer
from gateway.auth.totp import SecretBox
from gateway.config import GatewaySettings
from gateway.edge import EdgeMiddleware, verified_api_key
from gateway.health import CachedHealth, aggregate_health
from gateway.openapi import OpenApiAggregator
from gateway.proxy import Proxy
from gateway.rate_limits import RateLimits
from gateway.saved_views.router import router as saved_views_router
from gateway.web.live import LiveHub
from gateway.web.router import install as install_web_ui
from gateway.web.session_locks import SessionLocks
from opsdesk_shared.app import build_service_app, database_check
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.errors import NotFound, Unauthorized
from opsdesk_shared.worker import run_relay_only

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# System clients (API keys) get a token just long enough for the one proxied call.
SYSTEM_TOKEN_TTL_S = 60


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    engine = create_engine(settings)
    proxy = Proxy(settings.upstreams(), timeout_s=settings.upstream_timeout_s, max_body_bytes=settings.max_body_bytes)
    openapi = OpenApiAggregator(settings.services())
    live_hub = LiveHub(settings.amqp_url)
    rate_limits = RateLimits(settings.redis_url, key_prefix=settings.redis_key_prefix)
    web_locks = SessionLocks(
        settings.redis_url, key_prefix=settings.redis_key_prefix, ttl_s=settings.session_lifetime_s
    )
    failures = failure_audit.UnauthenticatedFailures()

    async def fan_out() -> dict[str, object]:
        assert proxy.session is not None
        return await aggregate_health(proxy.session, settings.services(), own=database_check(engine))

    health_report = CachedHealth(fan_out, ttl_s=settings.health_cache_s)
    audit_key = AuditKey.load(settings.audit_key_file)
    audit_checkpoints = CheckpointStore(settings.audit_archive_dir, audit_key)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rate_limits.start()
        app.state.sessions = session_factory(engine)
        app.state.audit_verifications = audit_verification.FullVerifications(
            app.state.sessions, audit_key, audit_checkpoints
        )
        await proxy.start()
        live_hub.start()
        stop = asyncio.Event()
        relay = asyncio.create_task(run_relay_only(settings, stop), name="gateway-outbox-relay")
        retention = asyncio.create_task(
            audit_retention.run_daily(
                app.state.sessions,
                stop,
                key=audit_key,
                retention_days=settings.audit_retention_days,
                archive_dir=settings.audit_archive_dir,
                interval_s=settings.audit_purge_interval_s,
            ),
            name="gateway-audit-retention",
        )
        reseal = asyncio.create_task(
            totp_reseal.reseal_at_start(
                app.state.sessions, stop, keys=totp_keys, legacy=legacy_totp_key, audit_key=audit_key
            ),
            name="gateway-totp-reseal",
        )
        failure_flusher = asyncio.create_task(
            failure_audit.run(
                failures, app.state.sessions, audit_key, stop, window_s=settings.unauthenticated_audit_window_s
            ),
            name="gateway-unauthenticated-audit",
        )
        checkpoints = asyncio.create_task(
            audit_verification.run_checkpoints(
                app.state.sessions,
                audit_key,
                audit_checkpoints,
                stop,
                interval_s=settings.audit_checkpoint_interval_s,
            ),
            name="gateway-audit-checkpoints",
        )
        yield
        stop.set()
        await app.state.audit_verifications.stop()
        await asyncio.gather(relay, retention, reseal, failure_flusher, checkpoints, return_exceptions=True)
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
    totp_keys = settings.totp_keys()
    legacy_totp_key = totp_reseal.legacy_key(settings.jwt_private_key())
    app.state.totp_box = SecretBox(totp_keys)
    app.state.audit_key = audit_key
    app.state.audit_checkpoints = audit_checkpoints
    app.add_middleware(
        EdgeMiddleware,
        limits=rate_limits,
        failures=failures,
        rate_limit=settings.rate_limit,
        login_rate_limit=settings.login_rate_limit,
    )
    app.include_router(auth_router)
    app.include_router(admin_router)
    app.include_router(saved_views_router)
    app.state.proxy = proxy
    app.state.live_hub = live_hub
    app.state.web_locks = web_locks
    install_web_ui(app, settings)

    @app.get("/api/health", tags=["health"])
    async def health() -> JSONResponse:
        report = await health_report.report()
        return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)

    @app.get("/api/openapi.json", include_in_schema=False)
    async def merged_openapi() -> JSONResponse:
        assert proxy.session is not None
        return JSONResponse(await openapi.document(proxy.session, app.openapi()))

    @app.get("/api/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="OpsDesk API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.api_route("/api/{path:path}", methods=PROXY_METHODS, include_in_schema=False)
    async def forward(request: Request, path: str) -> Response:
        base = proxy.upstream_for(request.url.path)
        if base is None:
            raise NotFound(f"no route for {request.method} {request.url.path}")
        extra: dict[str, str] = {}
        if request.headers.get("x-api-key") and not request.headers.get("authorization"):
            key = await verified_api_key(request)  # the edge looked it up already
            if key is None:
                raise Unauthorized("invalid or revoked API key")
            extra["Authorization"] = "Bearer " + app.state.issuer.access_token(
                subject=key.id,
                name=f"api-key:{key.name}",
                roles=["system"],
                unit_id=None,
                scopes=list(key.scopes),
                ttl_s=SYSTEM_TOKEN_TTL_S,
            )
        return await proxy.forward(request, base, extra_headers=extra)

    # Outermost, so everything inside (rate limits, the audit log, sign-in records, the web UI) sees the
    # client's address: the connection's peer, or the client a trusted proxy names in X-Forwarded-For (the
    # right-most address not itself a trusted proxy). Here rather than uvicorn's `forwarded_allow_ips`, so
    # the setting is validated and the tests exercise the same code (`python -m gateway api` turns
    # uvicorn's own off).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxy_networks())
    return app
