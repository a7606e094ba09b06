"""`GET /api/health`: the gateway's own readiness and every service's `/readyz`, in one answer."""

import asyncio
from typing import Any

import aiohttp

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
