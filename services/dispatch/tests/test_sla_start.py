"""Dispatch starts a ticket's clocks from the matching policy when ticket.created arrives over RabbitMQ."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Desk


@pytest.fixture(scope="module")
async def dispatch(desk: Desk) -> httpx.AsyncClient:
    desk.client.headers["Authorization"] = desk.admin_headers["Authorization"]
    return desk.client


def ticket(category: str = "fault", created_at: datetime | None = None) -> TicketCreated:
    return TicketCreated(
        ticket_id=uuid.uuid4(),
        number="20261125-0001",
        title="t",
        category=category,
        priority="P2",
        status="new",
        unit_id=uuid.uuid4(),
        channel="web",
        requester_name="李强",
        requester_phone="+8613800138000",
        created_at=created_at or datetime.now(UTC),
    )


async def clocks_of(client: httpx.AsyncClient, ticket_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    resp = await client.get(f"/api/sla/tickets/{ticket_id}")
    return {c["metric"]: c for c in resp.json()["clocks"]} if resp.status_code == 200 else {}


async def test_a_fault_gets_the_contract_clocks_counted_from_its_creation(
    dispatch: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    created = datetime.now(UTC) - timedelta(minutes=10)  # the event arrives late; the clock does not care
    event = ticket(created_at=created)
    await publish(migrated.amqp_url, event)
    clocks = await eventually(lambda: clocks_of(dispatch, event.ticket_id))
    assert set(clocks) == {"response", "arrival", "resolution"}
    arrival = clocks["arrival"]
    assert datetime.fromisoformat(arrival["due_at"]) == created + timedelta(seconds=7200)
    assert datetime.fromisoformat(clocks["resolution"]["due_at"]) == created + timedelta(seconds=14400)
    assert arrival["state"] == "running" and 590 <= arrival["elapsed_seconds"] <= 700
    assert arrival["remaining_seconds"] == 7200 - arrival["elapsed_seconds"]


async def test_a_consultation_has_no_arrival_clock(dispatch: httpx.AsyncClient, migrated: RunEnvironment) -> None:
    event = ticket(category="consultation")
    await publish(migrated.amqp_url, event)
    clocks = await eventually(lambda: clocks_of(dispatch, event.ticket_id))
    assert set(clocks) == {"response", "resolution"}


async def test_the_same_ticket_twice_starts_one_set_of_clocks(
    dispatch: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    event = ticket()
    [envelope] = await publish(migrated.amqp_url, event)
    await publish(migrated.amqp_url, envelope, event)  # a redelivery, and a second event for the same ticket
    first = await eventually(lambda: clocks_of(dispatch, event.ticket_id))
    other = ticket()
    await publish(migrated.amqp_url, other)
    await eventually(lambda: clocks_of(dispatch, other.ticket_id))  # everything before it was consumed too
    resp = await dispatch.get(f"/api/sla/tickets/{event.ticket_id}")
    assert len(resp.json()["clocks"]) == 3
    assert {c["id"] for c in resp.json()["clocks"]} == {c["id"] for c in first.values()}


async def test_unknown_ticket_is_a_404_problem(dispatch: httpx.AsyncClient) -> None:
    resp = await dispatch.get(f"/api/sla/tickets/{uuid.uuid4()}")
    assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"
