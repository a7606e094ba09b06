import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time

import httpx
import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import func, select

from notifications.config import NotificationsSettings
from notifications.main import create_app
from notifications.messages.models import SmsReceipt
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually
from twilio_sink.app import SinkConfig
from twilio_sink.app import create_app as create_sink

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-123"
PUBLIC_URL = "http://opsdesk.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve(app: FastAPI, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no start event)
        await asyncio.sleep(0.02)
    return server, task


@dataclass
class Sink:
    url: str

    async def messages(self) -> list[dict]:
        async with httpx.AsyncClient() as client:
            return list((await client.get(f"{self.url}/_sink/messages")).json()["messages"])

    async def fault(self, mode: str, count: int = 1, to: str | None = None) -> None:
        async with httpx.AsyncClient() as client:
            await client.post(f"{self.url}/_sink/faults", json={"mode": mode, "count": count, "to": to})

    async def reset(self) -> None:
        async with httpx.AsyncClient() as client:
            await client.delete(f"{self.url}/_sink/messages")


@pytest.fixture(scope="session")
async def sink() -> AsyncIterator[Sink]:
    """The Twilio-compatible server as a real HTTP server on a free port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_sink(SinkConfig(auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no start event)
        await asyncio.sleep(0.02)
    yield Sink(f"http://127.0.0.1:{port}")
    server.should_exit = True
    await task


@pytest.fixture(scope="session")
def notifications_settings(migrated: RunEnvironment, sink: Sink) -> NotificationsSettings:
    return migrated.settings(
        NotificationsSettings,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+15005550006",
        twilio_api_base_url=sink.url,
        public_url=PUBLIC_URL,
        sms_backoff_base_s=0.05,
        twilio_timeout_s=1.0,
        # No quiet hours by default, so tests pass at any time of day; the quiet-hours test sets its own.
        sms_quiet_hours_start=time(0, 0),
        sms_quiet_hours_end=time(0, 0),
        # A number's ticket news merged within a second, not a minute: tests wait on it.
        sms_merge_window_s=1.0,
    )


@pytest.fixture(scope="session")
async def notifications_client(notifications_settings: NotificationsSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(notifications_settings)
    async with LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=PUBLIC_URL) as c:
            yield c


async def receipts_folded(settings: NotificationsSettings, sid: str) -> None:
    """Waits until the worker has applied every receipt recorded for `sid` (messages/receipts.py)."""
    engine = create_engine(settings)

    async def none_pending() -> bool:
        async with session_factory(engine)() as session:
            pending = await session.scalar(select(func.count()).where(SmsReceipt.provider_sid == sid))
        return pending == 0

    try:
        await eventually(none_pending, timeout=20)
    finally:
        await engine.dispose()


def ticket_created(phone: str) -> TicketCreated:
    """`ticket.created` as intake sends it, for a requester at `phone`."""
    return TicketCreated(
        ticket_id=uuid.uuid4(),
        number=f"20261125-{uuid.uuid4().int % 10000:04d}",
        title="读卡器故障",
        category="fault",
        priority="P2",
        status="new",
        unit_id=uuid.uuid4(),
        channel="hotline",
        requester_name="李强",
        requester_phone=phone,
        created_at=datetime.now(UTC),
    )
