"""Dispatch under test: its API in-process over ASGI, its worker consuming real RabbitMQ, and helpers to
make the gateway's people and intake's tickets appear the way they do in production — as events."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from asgi_lifespan import LifespanManager

from dispatch.config import DispatchSettings
from dispatch.main import create_app
from dispatch.messaging.consumers import SUBSCRIPTIONS
from opsdesk_shared.contracts.gateway import UnitCreated, UserCreated
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


@dataclass
class Desk:
    """The dispatch API, and a way to call it as any person."""

    client: httpx.AsyncClient
    env: RunEnvironment

    async def person(self, *roles: str, phone: str | None = "+8613900000000", unit_id: uuid.UUID | None = None,
                     active: bool = True) -> Person:
        user_id = uuid.uuid4()
        username = f"{roles[0]}-{user_id.hex[:6]}"
        await publish(
            self.env.amqp_url,
            UserCreated(user_id=user_id, username=username, display_name=f"{roles[0]} {user_id.hex[:4]}",
                        phone=phone, roles=list(roles), unit_id=unit_id, is_active=active),
        )
        token = self.env.token(*roles, subject=user_id, unit_id=unit_id, name=username)
        person = Person(user_id, username, list(roles), phone, unit_id, {"Authorization": f"Bearer {token}"})
        if "engineer" in roles:
            await eventually(lambda: self._known_engineer(user_id))
        return person

    async def _known_engineer(self, user_id: uuid.UUID) -> bool:
        resp = await self.client.get(f"/api/engineers/{user_id}", headers=self.admin_headers)
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
            UnitCreated(unit_id=unit_id, code=f"U{unit_id.hex[:6]}", name="测试单位", kind=kind,
                        parent_id=parent[-1] if parent else None, path=path),
        )
        return path

    async def ticket(self, *, category: str = "fault", priority: str = "P2", created_at: datetime | None = None,
                     unit_id: uuid.UUID | None = None, subcategory: str | None = None) -> TicketCreated:
        event = TicketCreated(
            ticket_id=uuid.uuid4(), number=f"20261125-{uuid.uuid4().int % 10000:04d}", title="身份证读卡器无法识别",
            category=category, priority=priority, status="new", unit_id=unit_id or uuid.uuid4(), channel="hotline",
            requester_name="李强", requester_phone="+8613800138000", created_at=created_at or datetime.now(UTC),
            subcategory=subcategory,
        )
        await publish(self.env.amqp_url, event)
        await eventually(lambda: self.clocks(event.ticket_id))
        return event

    async def status(self, ticket: TicketCreated, before: str, after: str, at: datetime,
                     reason: str | None = None) -> None:
        await publish(
            self.env.amqp_url,
            TicketStatusChanged(ticket_id=ticket.ticket_id, number=ticket.number, from_status=before, to_status=after,
                                reason=reason, changed_at=at),
        )

    async def clocks(self, ticket_id: uuid.UUID) -> dict[str, dict]:  # type: ignore[type-arg]
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
