"""`GET /api/health`: the gateway's own readiness and every service's `/readyz`, in one answer.

It is public (load balancers, `make run`, monitoring ask it without an account), so its answer is cached:
however many ask, each gateway process asks the services at most once per `ttl_s`.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from opsdesk_shared.observability import ReadinessCheck


async def _probe(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    try:
        async with session.get(f"{base}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as resp:
            body = await resp.json(content_type=None)
            return {"status": body.get("status", "unavailable"), "failures": body.get("failures", {})}
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return {"status": "unavailable", "error": type(exc).__name__}


async def aggregate_health(
    session: aiohttp.ClientSession, services: dict[str, str], *, own: ReadinessCheck
) -> dict[str, Any]:
    results = await asyncio.gather(*(_probe(session, base) for base in services.values()))
    report: dict[str, Any] = {"services": dict(zip(services, results, strict=True))}
    try:
        await own()
        report["services"]["gateway"] = {"status": "ready"}
    except Exception as exc:  # the gateway's own database
        report["services"]["gateway"] = {"status": "unavailable", "error": type(exc).__name__}
    ready = all(r["status"] == "ready" for r in report["services"].values())
    report["status"] = "ready" if ready else "unavailable"
    return report


class CachedHealth:
    def __init__(self, check: Callable[[], Awaitable[dict[str, Any]]], *, ttl_s: float) -> None:
        self.check = check
        self.ttl_s = ttl_s
        self._report: dict[str, Any] | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def report(self) -> dict[str, Any]:
        if self._report is not None and time.monotonic() < self._expires:
            return self._report
        # One fan-out at a time: callers arriving while it runs get its answer rather than starting more.
        async with self._lock:
            if self._report is None or time.monotonic() >= self._expires:
                self._report = await self.check()
                self._expires = time.monotonic() + self.ttl_s
            return self._report


router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health(request: Request) -> JSONResponse:
    report = await request.app.state.health_report.report()
    return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)
