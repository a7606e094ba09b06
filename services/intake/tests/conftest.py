"""Intake under test: its API in-process over ASGI and its worker on real RabbitMQ, with helpers that
make the gateway's units and dispatch's work appear the way they do in production — as events."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from intake.config import IntakeSettings
from intake.main import create_app
from intake.messaging.consumers import subscriptions
from opsdesk_shared.contracts.assets import AssetRegistered
from opsdesk_shared.contracts.gateway import UnitCreated
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish, running_worker


# Module scope, not session: a worker left running in this process would hold (unacked, unprocessed)
# the events the end-to-end tests' real intake worker needs while synchronous tests block the loop.
@pytest.fixture(scope="module")
async def intake_client(migrated: RunEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.settings(IntakeSettings)
    engine = create_engine(settings)
    app = create_app(settings)
    async with (
        running_worker(settings, session_factory(engine), subscriptions(settings)),
        LifespanManager(app) as manager,
    ):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://intake") as c:
            yield c
    await engine.dispose()


class Units:
    """Publishes `unit.created` as the gateway does and waits until intake has taken it in."""

    def __init__(self, env: RunEnvironment) -> None:
        self.env = env

    async def add(
        self, parent_path: list[uuid.UUID] | None = None, kind: str = "police_station", unit_id: uuid.UUID | None = None
    ) -> list[uuid.UUID]:
        unit_id = unit_id or uuid.uuid4()
        path = [*(parent_path or []), unit_id]
        await publish(
            self.env.amqp_url,
            UnitCreated(
                unit_id=unit_id,
                code=f"U-{unit_id.hex[:6]}",
                name="测试单位",
                kind=kind,
                parent_id=parent_path[-1] if parent_path else None,
                path=path,
            ),
        )
        await eventually(lambda: self._known(unit_id))
        return path

    async def _known(self, unit_id: uuid.UUID) -> bool:
        conn = await asyncpg.connect(f"{self.env.servers.database_url}/{self.env.database_prefix}_intake")
        try:
            return bool(await conn.fetchval("SELECT 1 FROM known_unit WHERE id = $1", unit_id))
        finally:
            await conn.close()


@pytest.fixture(scope="module")
def units(migrated: RunEnvironment, intake_client: httpx.AsyncClient) -> Units:
    return Units(migrated)


class Ledger:
    """Publishes `asset.registered` as the assets service does and waits until intake knows the tag."""

    def __init__(self, env: RunEnvironment) -> None:
        self.env = env

    async def register(
        self, tag: str, unit_id: uuid.UUID, *, asset_class: str = "card_printer", criticality: str = "normal"
    ) -> uuid.UUID:
        asset_id = uuid.uuid4()
        await publish(
            self.env.amqp_url,
            AssetRegistered(
                asset_id=asset_id,
                tag=tag.upper(),
                asset_class=asset_class,
                name="测试设备",
                security_zone="公安信息网",
                owning_system="居住证系统",
                unit_id=unit_id,
                site="测试派出所",
                room="机房",
                criticality=criticality,
                status="in_service",
                aggregate_version=1,
            ),
        )
        await eventually(lambda: self._known(asset_id))
        return asset_id

    async def _known(self, asset_id: uuid.UUID) -> bool:
        conn = await asyncpg.connect(f"{self.env.servers.database_url}/{self.env.database_prefix}_intake")
        try:
            return bool(await conn.fetchval("SELECT 1 FROM known_asset WHERE asset_id = $1", asset_id))
        finally:
            await conn.close()


@pytest.fixture(scope="module")
def ledger(migrated: RunEnvironment, intake_client: httpx.AsyncClient) -> Ledger:
    return Ledger(migrated)
