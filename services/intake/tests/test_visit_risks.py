"""A hidden risk found on a user visit (the assets service's `visit.risk_raised`) becomes one ticket of channel
`visit`, filed as the visitor with the unit's contact as requester, and intake answers with its number."""

import uuid
from datetime import UTC, datetime

import httpx

from opsdesk_shared.contracts.assets import VisitRiskRaised
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import EventTap, eventually, publish

from .conftest import Units


async def test_a_visit_risk_becomes_one_ticket_of_channel_visit_and_its_number_is_announced(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    station = await units.add()
    risk = VisitRiskRaised(
        risk_id=uuid.uuid4(),
        visit_id=uuid.uuid4(),
        unit_id=station[-1],
        unit_name="测试派出所",
        description="UPS电池已使用5年，续航不足10分钟",
        contact_name="王所长",
        contact_phone="+8613812345678",
        visitor_id=uuid.uuid4(),
        visitor_name="赵工",
        raised_at=datetime.now(UTC),
    )
    async with EventTap(migrated.amqp_url, "visit.risk_ticketed") as tap:
        await publish(migrated.amqp_url, risk)
        await eventually(lambda: any(e.data["risk_id"] == str(risk.risk_id) for e in tap.received))
    [answer] = [e for e in tap.received if e.data["risk_id"] == str(risk.risk_id)]

    headers = {"Authorization": f"Bearer {migrated.token('dispatcher')}"}
    ticket = (await intake_client.get(f"/api/tickets/{answer.data['ticket_id']}", headers=headers)).json()
    assert ticket["number"] == answer.data["number"]
    assert ticket["channel"] == "visit" and ticket["category"] == "service_request"
    assert ticket["title"] == "回访发现隐患：UPS电池已使用5年，续航不足10分钟"
    assert ticket["requester_name"] == "王所长" and ticket["unit_id"] == str(station[-1])
    listed = await intake_client.get(
        "/api/tickets", params={"channel": "visit", "unit_id": str(station[-1])}, headers=headers
    )
    assert [t["id"] for t in listed.json()["items"]] == [ticket["id"]]
