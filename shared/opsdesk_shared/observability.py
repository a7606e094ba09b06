"""Structured JSON logs with a correlation id, phone masking, Prometheus metrics, health endpoints."""

import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse

from opsdesk_shared.phones import mask_phones_in

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

REQUEST_HEADER = "X-Request-ID"


def _mask_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: mask_phones_in(v) for k, v in event_dict.items()}


def _add_correlation_id(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    cid = correlation_id.get()
    if cid and "correlation_id" not in event_dict:
        event_dict["correlation_id"] = cid
    return event_dict


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Route structlog and stdlib logging through one JSON (or console) renderer with masking."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_correlation_id,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    renderer = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            lambda _, __, ed: {"service": service, **ed},
            _mask_personal_data,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "aiormq", "aio_pika", "twilio.http_client", "twilio.async_http_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


REQUESTS = Counter("opsdesk_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram("opsdesk_http_request_seconds", "HTTP request latency", ["service", "method", "route"])


class RequestContextMiddleware(BaseHTTPMiddleware):
    """Adopt or mint the request id, bind it as the correlation id, count and time the request."""

    def __init__(self, app: Any, service: str) -> None:
        super().__init__(app)
        self.service = service

    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get(REQUEST_HEADER) or uuid.uuid4().hex
        token = correlation_id.set(rid)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            correlation_id.reset(token)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        LATENCY.labels(self.service, request.method, path).observe(time.perf_counter() - started)
        REQUESTS.labels(self.service, request.method, path, str(response.status_code)).inc()
        response.headers[REQUEST_HEADER] = rid
        return response


ReadinessCheck = Callable[[], Awaitable[None]]


def install_observability(app: FastAPI, service: str, readiness: list[ReadinessCheck]) -> None:
    """`/healthz` (the process is alive), `/readyz` (its dependencies answer), `/metrics`."""
    app.add_middleware(RequestContextMiddleware, service=service)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        failures: dict[str, str] = {}
        for check in readiness:
            try:
                await check()
            except Exception as exc:  # any failure means "not ready", reported by name
                failures[getattr(check, "__name__", "check")] = type(exc).__name__
        status = 503 if failures else 200
        return JSONResponse(
            {"status": "unavailable" if failures else "ready", "service": service, "failures": failures},
            status_code=status,
            headers={"Retry-After": "5"} if failures else None,
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
