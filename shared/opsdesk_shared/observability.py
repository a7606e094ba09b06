"""Structured JSON logs with a correlation id, phone masking, Prometheus metrics, health endpoints."""

import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsdesk_shared.phones import mask_phones_in

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

REQUEST_HEADER = "X-Request-ID"


def _mask_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    return {k: mask_phones_in(v) for k, v in event_dict.items()}


def _add_correlation_id(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    cid = correlation_id.get()
    if cid and "correlation_id" not in event_dict:
        event_dict["correlation_id"] = cid
    return event_dict


ROUTINE_EVENTS_LOGGER = "opsdesk.routine_events"


def configure_logging(service: str, level: str = "INFO", fmt: str = "json", *, environment: str = "production") -> None:
    """Route structlog and stdlib logging through one JSON (or console) renderer with masking.

    In development (`make run`, a person watching a terminal) the line per consumed event is left out:
    it buried the demo accounts and the ready line. Production and tests keep it at INFO."""
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
    routine_level = logging.WARNING if environment == "development" else logging.NOTSET
    logging.getLogger(ROUTINE_EVENTS_LOGGER).setLevel(routine_level)
    for noisy in ("uvicorn.access", "aiormq", "aio_pika", "twilio.http_client", "twilio.async_http_client"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


REQUESTS = Counter("opsdesk_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram("opsdesk_http_request_seconds", "HTTP request latency", ["service", "method", "route"])


class RequestContextMiddleware:
    """Adopt or mint the request id, bind it as the correlation id, count and time the request.

    Plain ASGI rather than Starlette's BaseHTTPMiddleware, which runs every request in an extra task with
    memory streams: in `make bench` that was a tenth of a busy API's CPU (SMS status callbacks). The time
    is taken when the response starts, so a stream counts until its first byte, not for its whole life."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = Headers(scope=scope).get(REQUEST_HEADER) or uuid.uuid4().hex
        token = correlation_id.set(rid)
        started = time.perf_counter()
        answered = False

        async def send_with_request_id(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                self._observe(scope, message["status"], started)
                message.setdefault("headers", [])
                MutableHeaders(scope=message)[REQUEST_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        except Exception:
            if not answered:  # the server's error handler answers 500 further out
                self._observe(scope, 500, started)
            raise
        finally:
            correlation_id.reset(token)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        path = getattr(scope.get("route"), "path", "unmatched")
        method = scope["method"]
        LATENCY.labels(self.service, method, path).observe(time.perf_counter() - started)
        REQUESTS.labels(self.service, method, path, str(status)).inc()


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
