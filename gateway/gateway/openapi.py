"""`/api/openapi.json`: the gateway's own document merged with every service's, cached briefly; `/api/docs`
shows it."""

import asyncio
import time
from typing import Any

import aiohttp
import structlog
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

log = structlog.get_logger(__name__)


class OpenApiAggregator:
    def __init__(self, services: dict[str, str], ttl_s: float = 30.0) -> None:
        self.services = services
        self.ttl_s = ttl_s
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def document(self, session: aiohttp.ClientSession, own: dict[str, Any]) -> dict[str, Any]:
        if self._cached and time.monotonic() - self._cached[0] < self.ttl_s:
            return self._cached[1]
        docs = await asyncio.gather(*(self._fetch(session, n, u) for n, u in self.services.items()))
        merged = merge_documents(own, [d for d in docs if d is not None])
        merged["info"]["x-unavailable-services"] = [n for n, d in zip(self.services, docs, strict=True) if d is None]
        if not merged["info"]["x-unavailable-services"]:
            self._cached = (time.monotonic(), merged)
        return merged

    async def _fetch(self, session: aiohttp.ClientSession, name: str, base: str) -> dict[str, Any] | None:
        try:
            # A service builds its document on the first request: a large one (assets) takes seconds on a busy host.
            async with session.get(f"{base}/openapi.json", timeout=aiohttp.ClientTimeout(total=10)) as resp:
                resp.raise_for_status()
                document: dict[str, Any] = await resp.json()
                return document
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("openapi_fetch_failed", service=name, error=type(exc).__name__)
            return None


def merge_documents(own: dict[str, Any], others: list[dict[str, Any]]) -> dict[str, Any]:
    merged = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {
            "title": "OpsDesk API",
            "version": own.get("info", {}).get("version", "0.1.0"),
            "description": "The whole OpsDesk API, as served by the gateway.",
        },
        "paths": dict(own.get("paths", {})),
        "components": {
            "schemas": dict(own.get("components", {}).get("schemas", {})),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        "security": [{"bearer": []}],
    }
    for doc in others:
        merged["paths"].update(doc.get("paths", {}))
        merged["components"]["schemas"].update(doc.get("components", {}).get("schemas", {}))
    return merged


router = APIRouter(include_in_schema=False)


@router.get("/api/openapi.json")
async def merged_openapi(request: Request) -> JSONResponse:
    """The gateway's own routes and every service's, as one document."""
    proxy = request.app.state.proxy
    assert proxy.session is not None  # started by the lifespan
    return JSONResponse(await request.app.state.openapi.document(proxy.session, request.app.openapi()))


@router.get("/api/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="OpsDesk API",
        swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
