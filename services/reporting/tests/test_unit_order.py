"""A unit's events folded in any order: its newest path is kept, so a move delivered late cannot hand its
figures back to the requesters of the unit it left."""

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

PERIOD = {"from": "2031-09-01", "to": "2031-09-07"}  # a week no other test touches


async def test_a_units_older_move_arriving_last_does_not_undo_the_newer_one(reporting: Reporting) -> None:
    old_parent, new_parent, unit_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def unit(cls: type[Any], version: int, parent: uuid.UUID | None) -> Any:
        return cls(
            unit_id=unit_id,
            code=f"U{unit_id.hex[:6]}",
            name="测试派出所",
            kind="police_station",
            parent_id=parent,
            path=[parent, unit_id],
            aggregate_version=version,
        )

    ticket = TicketCreated(
        ticket_id=uuid.uuid4(),
        number="20310903-0001",
        title="读卡器无法识别",
        category="fault",
        priority="P2",
        status="new",
        unit_id=unit_id,
        channel="hotline",
        requester_name="李强",
        requester_phone="+8613800138000",
        created_at=datetime(2031, 9, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        aggregate_version=1,
    )
    # One queue, folded in turn: by the time the ticket counts, the late move has been folded too.
    await publish(
        reporting.env.amqp_url,
        unit(UnitCreated, 1, old_parent),
        unit(UnitUpdated, 3, new_parent),
        unit(UnitUpdated, 2, old_parent),
        ticket,
    )

    async def total_for_requester_of(parent: uuid.UUID) -> int:
        headers = reporting.as_("requester", unit_id=parent)
        resp = await reporting.client.get("/api/reports/summary", params=PERIOD, headers=headers)
        assert resp.status_code == 200, resp.text
        return int(resp.json()["total"])

    async def everything_counted() -> bool:
        return (await reporting.get("/api/reports/summary", **PERIOD)).json()["total"] == 1

    await eventually(everything_counted)
    assert await total_for_requester_of(new_parent) == 1
    assert await total_for_requester_of(old_parent) == 0
