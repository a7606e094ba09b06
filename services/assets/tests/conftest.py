"""The assets service under test: its API in-process over ASGI, its worker consuming real RabbitMQ, and the
gateway's units made to appear the way they do in production — as events."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from assets.config import AssetsSettings
from assets.main import create_app
from assets.messaging.consumers import SUBSCRIPTIONS
from opsdesk_shared.contracts.gateway import UnitCreated
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish, running_worker


@dataclass
class Ledger:
    """The assets API, and a way to call it as anyone."""

    client: httpx.AsyncClient
    env: RunEnvironment

    def as_(self, *roles: str, unit_id: uuid.UUID | None = None, name: str = "tester") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env.token(*roles, unit_id=unit_id, name=name)}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.as_("admin", name="admin")

    async def unit(self, parent: list[uuid.UUID] | None = None, *, code: str | None = None) -> list[uuid.UUID]:
        """A unit under the given path, known to the service once this returns; its path (itself last)."""
        unit_id = uuid.uuid4()
        path = [*(parent or []), unit_id]
        code = code or f"U-{unit_id.hex[:8]}"
        await publish(
            self.env.amqp_url,
            UnitCreated(
                unit_id=unit_id,
                code=code,
                name=f"测试单位{code}",
                kind="police_station" if parent else "sub_bureau",
                parent_id=parent[-1] if parent else None,
                path=path,
            ),
        )
        await eventually(lambda: self._unit_known(unit_id))
        return path

    async def _unit_known(self, unit_id: uuid.UUID) -> bool:
        # Read from the service's database: no route says which units it has heard of.
        conn = await asyncpg.connect(f"{self.env.servers.database_url}/{self.env.database_prefix}_assets")
        try:
            return bool(await conn.fetchval("SELECT 1 FROM directory_unit WHERE id = $1", unit_id))
        finally:
            await conn.close()

    async def register(self, unit_id: uuid.UUID, **fields: Any) -> dict[str, Any]:
        body = {
            "tag": f"JZZ-T-{uuid.uuid4().hex[:6].upper()}",
            "asset_class": "card_printer",
            "name": "制证机",
            "security_zone": "公安信息网",
            "owning_system": "居住证信息系统",
            "unit_id": str(unit_id),
            "site": "望京派出所",
            "room": "一楼办证大厅",
            **fields,
        }
        resp = await self.client.post("/api/assets", json=body, headers=self.admin)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())


@pytest.fixture(scope="module")
async def ledger(migrated: RunEnvironment) -> AsyncIterator[Ledger]:
    settings = migrated.settings(AssetsSettings)
    engine = create_engine(settings)
    app = create_app(settings)
    async with running_worker(settings, session_factory(engine), SUBSCRIPTIONS), LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://a") as client:
            yield Ledger(client, migrated)
    await engine.dispose()
