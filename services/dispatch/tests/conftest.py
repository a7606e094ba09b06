"""Dispatch under test: its API in-process over ASGI, its worker consuming real RabbitMQ, and helpers to
make the gateway's people and intake's tickets appear the way they do in production — as events."""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from dispatch.config import DispatchSettings
from dispatch.main import create_app
from dispatch.messaging.consumers import SUBSCRIPTIONS
from opsdesk_shared.contracts.gateway import UnitCreated, UserCreated, UserUpdated
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish, running_worker


@dataclass
class Person:
    user_id: uuid.UUID
    username: str
    roles: list[str]
    phone: str | None
    unit_id: uuid.UUID | None = None
    headers: dict[str, str] = field(default_factory=dict)


# A ticket's clocks by metric, as `GET /api/sla/tickets/{id}` shows them.
Clocks = dict[str, dict[str, Any]]


@dataclass
class Desk:
    """The dispatch API, and a way to call it as any person."""

    client: httpx.AsyncClient
    env: RunEnvironment

    async def person(
        self, *roles: str, phone: str | None = "+8613900000000", unit_id: uuid.UUID | None = None, active: bool = True
    ) -> Person:
        user_id = uuid.uuid4()
        username = f"{roles[0]}-{user_id.hex[:6]}"
        await publish(
            self.env.amqp_url,
            UserCreated(
                user_id=user_id,
                username=username,
                display_name=f"{roles[0]} {user_id.hex[:4]}",
                phone=phone,
                roles=list(roles),
                unit_id=unit_id,
                is_active=active,
            ),
        )
        token = self.env.token(*roles, subject=user_id, unit_id=unit_id, name=username)
        person = Person(user_id, username, list(roles), phone, unit_id, {"Authorization": f"Bearer {token}"})
        await eventually(lambda: self._known(user_id))
        return person

    async def change_roles(self, person: Person, roles: list[str]) -> None:
        """The gateway changes a user's roles (user.updated, a newer version); returns once dispatch has it."""
        await publish(
            self.env.amqp_url,
            UserUpdated(
                user_id=person.user_id,
                username=person.username,
                display_name=f"{person.roles[0]} {person.user_id.hex[:4]}",
                phone=person.phone,
                roles=roles,
                unit_id=person.unit_id,
                is_active=True,
                aggregate_version=2,
            ),
        )

        async def applied() -> bool:
            resp = await self.client.get(f"/api/dispatch/staff/{person.user_id}", headers=self.admin_headers)
            return resp.status_code == 200 and sorted(resp.json()["roles"]) == sorted(roles)

        await eventually(applied)

    async def _known(self, user_id: uuid.UUID) -> bool:
        resp = await self.client.get(f"/api/dispatch/staff/{user_id}", headers=self.admin_headers)
        return resp.status_code == 200

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env.token('admin')}"}

    async def unit(self, parent: "list[uuid.UUID] | None" = None, kind: str = "police_station") -> list[uuid.UUID]:
        """Creates a unit under the given path; returns the new unit's path (root first, itself last)."""
        unit_id = uuid.uuid4()
        path = [*(parent or []), unit_id]
        await publish(
            self.env.amqp_url,
            UnitCreated(
                unit_id=unit_id,
                code=f"U{unit_id.hex[:6]}",
                name="测试单位",
                kind=kind,
                parent_id=parent[-1] if parent else None,
                path=path,
            ),
        )
        return path

    async def ticket(
        self,
        *,
        category: str = "fault",
        priority: str = "P2",
        created_at: datetime | None = None,
        unit_id: uuid.UUID | None = None,
        subcategory: str | None = None,
        version: int = 0,
        location: str | None = None,
    ) -> TicketCreated:
        event = TicketCreated(
            ticket_id=uuid.uuid4(),
            number=f"20261125-{uuid.uuid4().int % 10000:04d}",
            title="身份证读卡器无法识别",
            category=category,
            priority=priority,
            status="new",
            unit_id=unit_id or uuid.uuid4(),
            channel="hotline",
            requester_name="李强",
            requester_phone="+8613800138000",
            created_at=created_at or datetime.now(UTC),
            subcategory=subcategory,
            location=location,
            aggregate_version=version,
        )
        await publish(self.env.amqp_url, event)
        await eventually(lambda: self.clocks(event.ticket_id))
        return event

    async def status(
        self,
        ticket: TicketCreated,
        before: str,
        after: str,
        at: datetime,
        reason: str | None = None,
        *,
        version: int = 0,
    ) -> None:
        await publish(
            self.env.amqp_url,
            TicketStatusChanged(
                ticket_id=ticket.ticket_id,
                number=ticket.number,
                from_status=before,
                to_status=after,
                reason=reason,
                changed_at=at,
                aggregate_version=version,
            ),
        )

    async def clocks(self, ticket_id: uuid.UUID) -> Clocks:
        resp = await self.client.get(f"/api/sla/tickets/{ticket_id}", headers=self.admin_headers)
        return {c["metric"]: c for c in resp.json()["clocks"]} if resp.status_code == 200 else {}


@pytest.fixture(scope="module")
async def desk(migrated: RunEnvironment) -> AsyncIterator[Desk]:
    settings = migrated.settings(DispatchSettings)
    engine = create_engine(settings)
    app = create_app(settings)
    async with running_worker(settings, session_factory(engine), SUBSCRIPTIONS), LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://d") as client:
            yield Desk(client, migrated)
    await engine.dispose()


class WorkerProcess:
    """`python -m dispatch worker` as a real process: what runs in production, killable with SIGKILL."""

    def __init__(self, env: RunEnvironment, log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> "WorkerProcess":
        environ = {**os.environ, **self.env.env(), "OPSDESK_SLA_TIMER_MAX_SLEEP_S": "5"}
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dispatch", "worker"], env=environ, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self._log.close()


# What the `worker_processes` fixture gives a test: start one more worker process.
StartWorker = Callable[[], WorkerProcess]


@pytest.fixture
def worker_processes(migrated: RunEnvironment, tmp_path: Path) -> Iterator[StartWorker]:
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        process = WorkerProcess(migrated, tmp_path / f"worker-{len(started)}.log").start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
