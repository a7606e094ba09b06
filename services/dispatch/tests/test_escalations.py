"""Open escalations (GET /api/sla/escalations) and their acknowledgement by a dispatcher: a console opened
after a breach fired still lists it, until a dispatcher acknowledges it; who and when are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from opsdesk_shared.testing.workers import eventually

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Desk, StartWorker


async def open_for(desk: Desk, headers: dict[str, str], ticket_id: UUID) -> list[dict[str, Any]]:
    resp = await desk.client.get("/api/sla/escalations", headers=headers)
    assert resp.status_code == 200, resp.text
    return [e for e in resp.json() if e["ticket_id"] == str(ticket_id)]


async def test_fired_warnings_and_breaches_are_listed_until_a_dispatcher_acknowledges_them(
    desk: Desk, worker_processes: StartWorker
) -> None:
    dispatcher = await desk.person("dispatcher")
    supervisor = await desk.person("supervisor")
    # Three hours in: the response and arrival targets are breached, the 4 h resolution target is warned.
    ticket = await desk.ticket(created_at=datetime.now(UTC) - timedelta(hours=3, minutes=1))
    worker_processes()
    await eventually(lambda: _count(desk, dispatcher.headers, ticket.ticket_id, 3), timeout=30)

    listed = await open_for(desk, dispatcher.headers, ticket.ticket_id)
    assert sorted((e["kind"], e["metric"]) for e in listed) == [
        ("breach", "arrival"),
        ("breach", "response"),
        ("warning", "resolution"),
    ]
    assert [e["kind"] for e in listed][:2] == ["breach", "breach"]  # breaches first
    assert all(e["ticket_number"] == ticket.number and e["acknowledged_at"] is None for e in listed)
    # Supervisors read the list too (they are told of breaches); only a dispatcher acknowledges.
    assert len(await open_for(desk, supervisor.headers, ticket.ticket_id)) == 3
    breach = next(e for e in listed if e["metric"] == "arrival")
    for outsider in (supervisor, await desk.person("hotline_operator"), await desk.person("engineer")):
        refused = await desk.client.post(f"/api/sla/escalations/{breach['id']}/acknowledge", headers=outsider.headers)
        assert refused.status_code == 403, refused.text
    for outsider in (await desk.person("hotline_operator"), await desk.person("requester")):
        assert (await desk.client.get("/api/sla/escalations", headers=outsider.headers)).status_code == 403

    before = datetime.now(UTC)
    acked = await desk.client.post(f"/api/sla/escalations/{breach['id']}/acknowledge", headers=dispatcher.headers)
    assert acked.status_code == 200, acked.text
    body = acked.json()
    assert body["acknowledged_by"] == str(dispatcher.user_id)
    assert body["acknowledged_by_name"].startswith("dispatcher ")  # the display name, not the username
    at = datetime.fromisoformat(body["acknowledged_at"])
    assert before - timedelta(seconds=5) <= at <= datetime.now(UTC) + timedelta(seconds=5)
    # Acknowledged: off the open list. Again: the first dispatcher and instant are kept.
    assert sorted(e["metric"] for e in await open_for(desk, dispatcher.headers, ticket.ticket_id)) == [
        "resolution",
        "response",
    ]
    other = await desk.person("dispatcher")
    again = await desk.client.post(f"/api/sla/escalations/{breach['id']}/acknowledge", headers=other.headers)
    assert again.status_code == 200
    assert (again.json()["acknowledged_by"], again.json()["acknowledged_at"]) == (
        str(dispatcher.user_id),
        body["acknowledged_at"],
    )
    missing = await desk.client.post(
        "/api/sla/escalations/00000000-0000-0000-0000-000000000000/acknowledge", headers=dispatcher.headers
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_escalations_stop_mattering_when_their_ticket_is_cancelled(
    desk: Desk, worker_processes: StartWorker
) -> None:
    dispatcher = await desk.person("dispatcher")
    ticket = await desk.ticket(created_at=datetime.now(UTC) - timedelta(hours=3, minutes=1))
    worker_processes()
    await eventually(lambda: _count(desk, dispatcher.headers, ticket.ticket_id, 3), timeout=30)
    await desk.status(ticket, "new", "cancelled", datetime.now(UTC), reason="报错")
    await eventually(lambda: _count(desk, dispatcher.headers, ticket.ticket_id, 0), timeout=30)


async def _count(desk: Desk, headers: dict[str, str], ticket_id: UUID, n: int) -> bool:
    return len(await open_for(desk, headers, ticket_id)) == n
