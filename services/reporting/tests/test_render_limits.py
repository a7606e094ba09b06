"""Report files rendered on request are bounded: a render past the time limit is stopped (its process
killed) and answered 503 with Retry-After, and one user renders at most a set number of files at a time
(429), so a requester asking for a ten-year PDF cannot tie up the reporting API."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually
from reporting.config import ReportingSettings
from reporting.main import create_app

TEN_YEARS = {"from": "2024-01-01", "to": "2033-12-31", "format": "pdf"}


@asynccontextmanager
async def reporting_api(migrated: RunEnvironment, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(migrated.settings(ReportingSettings, **settings))
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://r") as client,
    ):
        yield client


def render_children() -> list[int]:
    """This process's children rendering a report file (the API renders in-process here)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == os.getpid() and b"opsdesk_shared.documents.render_child" in cmdline:
            found.append(int(entry.name))
    return found


def requester(migrated: RunEnvironment, subject: uuid.UUID) -> dict[str, str]:
    token = migrated.token("requester", unit_id=uuid.uuid4(), subject=subject)
    return {"Authorization": f"Bearer {token}"}


async def test_a_render_past_the_time_limit_is_stopped_and_answered_503(migrated: RunEnvironment) -> None:
    async with reporting_api(migrated, report_render_timeout_s=0.05) as client:
        resp = await client.get("/api/reports/summary", params=TEN_YEARS, headers=requester(migrated, uuid.uuid4()))
        assert resp.status_code == 503, resp.status_code
        assert resp.headers["content-type"] == "application/problem+json" and resp.headers["retry-after"]
        assert "time limit" in resp.json()["detail"]
        assert render_children() == []  # stopped, not left running in the background
        # The CSV is streamed, not rendered whole: it is still there for a long period.
        csv = await client.get(
            "/api/reports/summary", params={**TEN_YEARS, "format": "csv"}, headers=requester(migrated, uuid.uuid4())
        )
        assert csv.status_code == 200


async def test_one_user_renders_one_file_at_a_time(migrated: RunEnvironment) -> None:
    async with reporting_api(migrated, report_renders_per_user=1) as client:
        me = requester(migrated, uuid.uuid4())
        first = asyncio.create_task(client.get("/api/reports/summary", params=TEN_YEARS, headers=me))
        await eventually(render_children, timeout=30)  # the first file is rendering now
        second = await client.get("/api/reports/summary", params={**TEN_YEARS, "format": "xlsx"}, headers=me)
        assert second.status_code == 429, second.status_code
        assert second.headers["content-type"] == "application/problem+json" and second.headers["retry-after"]
        assert "at a time" in second.json()["detail"]
        someone_else = await client.get(
            "/api/reports/summary", params=TEN_YEARS, headers=requester(migrated, uuid.uuid4())
        )
        assert someone_else.status_code == 200
        assert (await first).status_code == 200
        again = await client.get("/api/reports/summary", params=TEN_YEARS, headers=me)  # its slot is free again
        assert again.status_code == 200
