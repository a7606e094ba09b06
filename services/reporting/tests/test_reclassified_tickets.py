"""A reclassified ticket (`ticket.updated`) counts under its new unit, category and priority, whatever order
its creation and its reclassification arrive in."""

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from opsdesk_shared.contracts.intake import TicketCreated, TicketUpdated
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

PERIOD = {"from": "2039-10-10", "to": "2039-10-16"}  # a week no other test touches
FILED = datetime(2039, 10, 12, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


def filed(ticket_id: uuid.UUID, unit_id: uuid.UUID, number: str) -> TicketCreated:
    return TicketCreated(
        ticket_id=ticket_id,
        number=number,
        title="制证机无法启动",
        category="fault",
        priority="P3",
        status="new",
        unit_id=unit_id,
        channel="hotline",
        requester_name="李强",
        requester_phone="+8613800138000",
        created_at=FILED,
        aggregate_version=1,
    )


def reclassified(ticket: TicketCreated, unit_id: uuid.UUID) -> TicketUpdated:
    return TicketUpdated(
        ticket_id=ticket.ticket_id,
        number=ticket.number,
        title=ticket.title,
        category="service_request",
        priority="P1",
        unit_id=unit_id,
        status="new",
        changes={"category": ["fault", "service_request"], "priority": ["P3", "P1"]},
        reason="全所无法制证",
        updated_at=FILED.replace(hour=10),
        aggregate_version=2,
    )


async def test_a_reclassified_ticket_counts_under_its_new_unit_category_and_priority(reporting: Reporting) -> None:
    vendor, station = uuid.uuid4(), uuid.uuid4()
    in_order = filed(uuid.uuid4(), vendor, "20391012-0001")
    late_creation = filed(uuid.uuid4(), vendor, "20391012-0002")
    await publish(
        reporting.env.amqp_url,
        in_order,
        reclassified(in_order, station),
        reclassified(late_creation, station),  # overtook its ticket.created
        late_creation,
    )

    async def both_counted() -> dict[str, Any] | None:
        summary = (await reporting.get("/api/reports/summary", **PERIOD)).json()
        return summary if summary["total"] == 2 else None

    summary = await eventually(both_counted)
    assert summary["by_category"] == {"service_request": 2}
    assert summary["by_priority"] == {"P1": 2}
    assert set(summary["by_unit"]) == {str(station)}

    async def total_for_requester_of(unit_id: uuid.UUID) -> int:
        resp = await reporting.client.get(
            "/api/reports/summary", params=PERIOD, headers=reporting.as_("requester", unit_id=unit_id)
        )
        assert resp.status_code == 200, resp.text
        return int(resp.json()["total"])

    assert await total_for_requester_of(station) == 2
    assert await total_for_requester_of(vendor) == 0
