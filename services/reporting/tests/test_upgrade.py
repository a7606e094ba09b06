"""Upgrading a reporting database from its first schema: the migration reshapes the projections and
`reporting migrate` refills them from the events it had kept, so no figure is lost on upgrade."""

import asyncio
import json
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx
from alembic import command
from asgi_lifespan import LifespanManager

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.db import drop_database, ensure_database
from opsdesk_shared.migrations import alembic_config
from opsdesk_shared.testing.plugin import RunEnvironment
from reporting import migrate
from reporting.config import ReportingSettings
from reporting.main import create_app


async def test_an_upgrade_from_the_first_schema_rebuilds_the_figures(migrated: RunEnvironment) -> None:
    base = migrated.settings(ReportingSettings)
    settings = base.model_copy(update={"database_prefix": f"{base.database_prefix}_upgrade"})
    await ensure_database(settings.database_url, settings.database_name)
    try:
        await asyncio.to_thread(command.upgrade, alembic_config(settings, "reporting"), "reporting_0001")
        ticket = TicketCreated(
            ticket_id=uuid.uuid4(),
            number="20300102-0001",
            title="旧系统工单",
            category="fault",
            priority="P2",
            status="new",
            unit_id=uuid.uuid4(),
            channel="hotline",
            requester_name="张*",
            requester_phone="+8613800138000",
            created_at=datetime(2030, 1, 2, 3, tzinfo=UTC),
        )
        envelope = Envelope.wrap(ticket, producer="intake", correlation_id=None)
        conn = await asyncpg.connect(f"{settings.database_url}/{settings.database_name}")
        try:
            await conn.execute(
                "INSERT INTO stored_event (id, type, occurred_at, producer, envelope, received_at) "
                "VALUES ($1, $2, $3, $4, $5::jsonb, now())",
                envelope.id,
                envelope.type,
                envelope.occurred_at,
                envelope.producer,
                json.dumps(envelope.model_dump(mode="json")),
            )
        finally:
            await conn.close()

        await migrate.run(settings)

        app = create_app(settings)
        async with (
            LifespanManager(app) as manager,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://r") as client,
        ):
            resp = await client.get(
                "/api/reports/summary",
                params={"from": "2030-01-01", "to": "2030-01-31"},
                headers={"Authorization": f"Bearer {migrated.token('supervisor')}"},
            )
        assert resp.status_code == 200, resp.text
        assert resp.json()["total"] == 1 and resp.json()["by_priority"] == {"P2": 1}
    finally:
        await drop_database(settings.database_url, settings.database_name)
