"""A ticket closed as a duplicate is counted as a duplicate, not as work: out of the total, the per-day and
per-unit volume and SLA compliance (even a breach it had fired), and shown as its own figure."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from opsdesk_shared.contracts.dispatch import ClockSnapshot, SlaBreached, SlaStarted
from opsdesk_shared.contracts.intake import TicketCancelled, TicketCreated, TicketStatusChanged
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

PERIOD = {"from": "2032-03-01", "to": "2032-03-07"}  # a week no other test touches
FILED = datetime(2032, 3, 2, 2, 0, tzinfo=UTC)


def created(ticket_id: uuid.UUID, number: str, unit_id: uuid.UUID) -> TicketCreated:
    return TicketCreated(
        ticket_id=ticket_id,
        number=number,
        title="制证机卡纸",
        category="fault",
        priority="P2",
        status="new",
        unit_id=unit_id,
        channel="hotline",
        requester_name="张*",
        requester_phone="+8613800138000",
        created_at=FILED,
    )


async def summary_when(reporting: Reporting, settled: Any) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        body = (await reporting.get("/api/reports/summary", **PERIOD)).json()
        return body if settled(body) else None

    return dict(await eventually(probe, timeout=30))


async def test_a_duplicate_counts_as_a_duplicate_not_as_work(reporting: Reporting) -> None:
    unit = uuid.uuid4()
    survivor, duplicate = uuid.uuid4(), uuid.uuid4()
    due = FILED + timedelta(hours=2)
    await publish(
        reporting.env.amqp_url,
        created(survivor, "20320302-0001", unit),
        created(duplicate, "20320302-0002", unit),
        SlaStarted(
            ticket_id=duplicate,
            policy_id=uuid.uuid4(),
            policy_name="fault",
            clocks=[ClockSnapshot(metric="arrival", state="running", started_at=FILED, due_at=due)],
        ),
        SlaBreached(
            ticket_id=duplicate, clock_id=uuid.uuid4(), metric="arrival", due_at=due, fired_at=due, breached_at=due
        ),
    )
    before = await summary_when(reporting, lambda s: s["total"] == 2 and s["sla"]["arrival"]["breached"] == 1)
    assert before["duplicates"] == 0

    marked = FILED + timedelta(hours=3)
    await publish(
        reporting.env.amqp_url,
        TicketStatusChanged(
            ticket_id=duplicate, number="20320302-0002", from_status="new", to_status="cancelled", changed_at=marked
        ),
        TicketCancelled(
            ticket_id=duplicate,
            number="20320302-0002",
            unit_id=unit,
            requester_name="张*",
            requester_phone="+8613800138000",
            at=marked,
            reason="duplicate of 20320302-0001",
            duplicate_of=survivor,
            duplicate_of_number="20320302-0001",
        ),
    )
    after = await summary_when(reporting, lambda s: s["duplicates"] == 1 and "cancelled" not in s["by_status"])
    assert after["total"] == 1
    assert after["by_status"] == {"new": 1, "duplicate": 1}
    assert after["by_unit"] == {str(unit): 1}
    assert sum(d["tickets"] for d in after["per_day"]) == 1
    assert after["sla"]["arrival"]["breached"] == 0 and after["sla"]["arrival"]["compliance_pct"] is None
