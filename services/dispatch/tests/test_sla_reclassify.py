"""A reclassified ticket's clocks follow the policy that now matches it, from the change on (issue 19): a
clock keeps its start and its paused time, takes the new target, and fires at once through the timer if its
new due instant is already past; a breach already recorded stays as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from opsdesk_shared.contracts.intake import TicketUpdated
from opsdesk_shared.testing.workers import EventTap, eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Desk, StartWorker

GENERAL_RESPONSE_S, P1_RESPONSE_S, P1_RESOLUTION_S = 1800, 600, 2400


async def test_a_ticket_raised_from_p3_to_p1_gets_new_due_times_and_keeps_the_breach_already_fired(
    desk: Desk, worker_processes: StartWorker
) -> None:
    # Complaints fall under the general policy (response 30 min, resolution 24 h); a P1 complaint policy
    # wants an answer in 10 min and a resolution in 40.
    policy = await desk.client.post(
        "/api/sla/policies",
        json={
            "name": "投诉 P1",
            "category": "complaint",
            "priority": "P1",
            "response_target_s": P1_RESPONSE_S,
            "resolution_target_s": P1_RESOLUTION_S,
        },
        headers=desk.admin_headers,
    )
    assert policy.status_code == 201, policy.text
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=60)
    ticket = await desk.ticket(category="complaint", priority="P3", created_at=created, version=1)
    # Ten minutes on hold: the clocks' paused time, which the new targets must keep.
    await desk.status(ticket, "new", "pending", created + timedelta(minutes=5), reason="等待来电人回电", version=2)
    await desk.status(ticket, "pending", "new", created + timedelta(minutes=15), version=3)
    paused_s = 600

    async with EventTap(desk.env.amqp_url, "sla.breached", "sla.retargeted") as tap:
        worker_processes()  # the timer: the response clock (due 40 min after filing) has breached already
        before = await eventually(lambda: _breached(desk, ticket.ticket_id, "response"), timeout=60)
        assert before["response"]["breached_at"] == created + timedelta(seconds=GENERAL_RESPONSE_S + paused_s)
        assert before["resolution"]["due_at"] == created + timedelta(seconds=86400 + paused_s)

        changed_at = datetime.now(UTC)
        await publish(
            desk.env.amqp_url,
            TicketUpdated(
                ticket_id=ticket.ticket_id,
                number=ticket.number,
                title=ticket.title,
                category="complaint",
                priority="P1",
                unit_id=ticket.unit_id,
                status="new",
                changes={"priority": ["P3", "P1"]},
                reason="全所无法制证",
                updated_at=changed_at,
                aggregate_version=4,
            ),
        )
        # Resolution: 40 min from filing plus the 10 paused is 50 min, already past: the timer breaches it at
        # once, at that instant.
        after = await eventually(lambda: _breached(desk, ticket.ticket_id, "resolution"), timeout=30)

    resolution, response = after["resolution"], after["response"]
    new_due = created + timedelta(seconds=P1_RESOLUTION_S + paused_s)
    assert (resolution["target_s"], resolution["due_at"], resolution["breached_at"]) == (
        P1_RESOLUTION_S,
        new_due,
        new_due,
    )
    assert resolution["started_at"] == created and resolution["paused_seconds"] == paused_s
    # The response breach had fired under the old terms: it stays, at its instant, against its old target.
    assert response["breached_at"] == before["response"]["breached_at"]
    assert (response["target_s"], response["due_at"]) == (GENERAL_RESPONSE_S, before["response"]["due_at"])
    # Announced: the retargeting, then the breach it led to, once.
    retargeted = tap.of("sla.retargeted", ticket_id=ticket.ticket_id)
    assert [(e.data["metric"], datetime.fromisoformat(e.data["due_at"])) for e in retargeted] == [
        ("resolution", new_due)
    ]
    breaches = [e.data["metric"] for e in tap.of("sla.breached", ticket_id=ticket.ticket_id)]
    assert breaches.count("resolution") == 1


def _instants(clock: dict[str, Any]) -> dict[str, Any]:
    """The clock with its instants as datetimes, to compare them whatever their ISO spelling."""
    return {k: datetime.fromisoformat(v) if k.endswith("_at") and v else v for k, v in clock.items()}


async def _breached(desk: Desk, ticket_id: UUID, metric: str) -> dict[str, dict[str, Any]] | None:
    clocks = await desk.clocks(ticket_id)
    return {m: _instants(c) for m, c in clocks.items()} if clocks and clocks[metric]["breached_at"] else None
