"""Reporting's read model, fed by events over RabbitMQ: counts match what was sent, replays count once,
and a status change that overtakes its ticket's creation still lands."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager

from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish, running_worker
from reporting.config import ReportingSettings
from reporting.main import create_app
from reporting.messaging.consumers import SUBSCRIPTIONS

# A period of our own, far from other tests' tickets, so the ground truth is exactly what we send here.
PERIOD_START = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
async def reporting(migrated: RunEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.settings(ReportingSettings)
    engine = create_engine(settings)
    app = create_app(settings)
    async with running_worker(settings, session_factory(engine), SUBSCRIPTIONS), LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://r") as client:
            client.headers["Authorization"] = f"Bearer {migrated.token('supervisor')}"
            yield client
    await engine.dispose()


def created(at: datetime, category: str, unit: uuid.UUID, channel: str = "web") -> TicketCreated:
    return TicketCreated(
        ticket_id=uuid.uuid4(),
        number="20260601-0001",
        title="t",
        category=category,
        priority="P3",
        status="new",
        unit_id=unit,
        channel=channel,
        requester_name="张*",
        requester_phone="+8613800138000",
        created_at=at,
    )


async def summary(client: httpx.AsyncClient, start: datetime, days: int = 1) -> dict:  # type: ignore[type-arg]
    resp = await client.get(
        "/api/reports/summary", params={"from": start.isoformat(), "to": (start + timedelta(days=days)).isoformat()}
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_counts_match_the_events_sent_and_a_replay_counts_once(
    reporting: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    unit_a, unit_b = uuid.uuid4(), uuid.uuid4()
    events = [created(PERIOD_START + timedelta(hours=i), "fault", unit_a, "hotline") for i in range(5)] + [
        created(PERIOD_START + timedelta(hours=i), "consultation", unit_b) for i in range(3)
    ]
    envelopes = await publish(migrated.amqp_url, *events)
    await publish(migrated.amqp_url, *envelopes[:4])  # redelivered

    async def all_counted() -> dict:  # type: ignore[type-arg]
        s = await summary(reporting, PERIOD_START)
        return s if s["total"] >= 8 else {}

    s = await eventually(all_counted)
    assert s["total"] == 8
    assert s["by_category"] == {"fault": 5, "consultation": 3}
    assert s["by_unit"] == {str(unit_a): 5, str(unit_b): 3}
    assert s["by_channel"] == {"hotline": 5, "web": 3}
    outside = await summary(reporting, PERIOD_START + timedelta(days=1))
    assert outside["total"] == 0


async def test_a_status_change_that_arrives_first_is_not_lost(
    reporting: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    start = PERIOD_START + timedelta(days=10)
    ticket = created(start, "fault", uuid.uuid4())
    change = TicketStatusChanged(
        ticket_id=ticket.ticket_id,
        number=ticket.number,
        from_status="new",
        to_status="assigned",
        changed_at=start + timedelta(minutes=5),
    )
    await publish(migrated.amqp_url, change)
    await publish(migrated.amqp_url, ticket)

    async def counted() -> dict:  # type: ignore[type-arg]
        s = await summary(reporting, start)
        return s if s["total"] == 1 else {}

    s = await eventually(counted)
    assert s["by_status"] == {"assigned": 1}


async def test_only_reporting_roles_read_reports_and_bad_periods_are_refused(
    reporting: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    engineer = await reporting.get(
        "/api/reports/summary", headers={"Authorization": f"Bearer {migrated.token('engineer')}"}
    )
    assert engineer.status_code == 403
    backwards = await reporting.get(
        "/api/reports/summary", params={"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"}
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "from"
    garbage = await reporting.get("/api/reports/summary", params={"from": "yesterday"})
    assert garbage.status_code == 422 and garbage.json()["errors"][0]["field"] == "from"
