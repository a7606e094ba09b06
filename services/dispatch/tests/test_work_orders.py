"""Work orders through dispatch's HTTP API: the assignment state machine, who may do what, the clocks
each step stops, the events it announces, and the cost-bearer rule at its limit."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from opsdesk_shared.contracts.dispatch import WorkOrderAssigned, WorkOrderResolved
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.testing.workers import EventTap, eventually

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Desk, Person

    Crew = tuple[Person, Person, Person]  # a dispatcher and two engineers

ACTIONS = ("accept", "depart", "arrive", "resolve", "reassign", "cancel")
# The path from a fresh assignment to each status.
PATH_TO = {
    "assigned": [],
    "accepted": ["accept"],
    "en_route": ["accept", "depart"],
    "on_site": ["accept", "depart", "arrive"],
    "resolved": ["accept", "depart", "arrive", "resolve"],
    "cancelled": ["cancel"],
}
LEGAL = {
    "assigned": {"accept", "reassign", "cancel"},
    "accepted": {"depart", "arrive", "resolve", "reassign", "cancel"},
    "en_route": {"arrive", "resolve", "reassign", "cancel"},
    "on_site": {"resolve", "reassign", "cancel"},
    "resolved": set(),
    "cancelled": set(),
}
RESULT = {
    "accept": "accepted",
    "depart": "en_route",
    "arrive": "on_site",
    "resolve": "resolved",
    "reassign": "assigned",
    "cancel": "cancelled",
}


@pytest.fixture(scope="module")
async def crew(desk: Desk) -> Crew:
    dispatcher = await desk.person("dispatcher")
    engineer = await desk.person("engineer", phone="+8613911112222")
    other = await desk.person("engineer", phone="+8613933334444")
    return dispatcher, engineer, other


def body_for(action: str, status: str | None, other_engineer: Person) -> dict[str, Any]:
    if action == "resolve":
        return {"resolution_code": "replaced_part", "summary": "更换读卡器", "remote": status != "on_site"}
    if action == "reassign":
        return {"engineer_id": str(other_engineer.user_id), "reason": "原工程师另有紧急任务"}
    if action == "cancel":
        return {"reason": "重复工单"}
    return {}


async def assigned_order(
    desk: Desk, dispatcher: Person, engineer: Person, **ticket_kw: Any
) -> tuple[dict[str, Any], TicketCreated]:
    ticket = await desk.ticket(**ticket_kw)
    resp = await desk.client.post(
        "/api/work-orders",
        json={"ticket_id": str(ticket.ticket_id), "engineer_id": str(engineer.user_id)},
        headers=dispatcher.headers,
    )
    assert resp.status_code == 201, resp.text
    return resp.json(), ticket


async def step(
    desk: Desk, order_id: str, action: str, status: str | None, person: Person, other: Person
) -> httpx.Response:
    headers = person.headers
    return await desk.client.post(
        f"/api/work-orders/{order_id}/{action}", json=body_for(action, status, other), headers=headers
    )


async def test_a_fault_from_assignment_to_resolution(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    async with EventTap(desk.env.amqp_url, "workorder.*", "sla.met") as tap:
        order, ticket = await assigned_order(desk, dispatcher, engineer)
        assert order["status"] == "assigned" and order["engineer_name"]
        clocks = await desk.clocks(ticket.ticket_id)
        assert clocks["response"]["state"] == "met"  # the assignment is the first acknowledgement
        assert clocks["arrival"]["state"] == "running"
        for action in ("accept", "depart", "arrive"):
            resp = await step(desk, order["id"], action, None, engineer, other)
            assert resp.status_code == 200, resp.text
        clocks = await desk.clocks(ticket.ticket_id)
        assert clocks["arrival"]["state"] == "met" and clocks["arrival"]["stopped_at"]
        resolved = await desk.client.post(
            f"/api/work-orders/{order['id']}/resolve",
            json={
                "resolution_code": "replaced_part",
                "summary": "更换读卡器",
                "parts": [{"name": "读卡器", "quantity": 2, "unit_cost": "4999.99"}],
            },
            headers=engineer.headers,
        )
        assert resolved.status_code == 200, resolved.text
        body = resolved.json()
        assert body["status"] == "resolved" and body["remote"] is False
        assert Decimal(body["total_cost"]) == Decimal("9999.98") and body["cost_borne_by"] == "vendor"
        assert [s["action"] for s in body["steps"]] == ["assign", "accept", "depart", "arrive", "resolve"]
        assert (await desk.clocks(ticket.ticket_id))["resolution"]["state"] == "met"
        await eventually(lambda: len(tap.of("workorder.resolved", work_order_id=order["id"])) == 1)
    assigned_event = tap.of("workorder.assigned", work_order_id=order["id"])[0]
    assigned = assigned_event.data
    # What notifications needs for the requester's SMS: who is coming, their phone (sealed on the wire), by when.
    assert assigned_event.parse(WorkOrderAssigned).engineer_phone == "+8613911112222"
    assert assigned["engineer_phone"].startswith("v1:") and assigned["ticket_number"] == ticket.number
    expected = datetime.fromisoformat(assigned["expected_arrival_at"])
    assert expected == datetime.fromisoformat(clocks["arrival"]["due_at"])
    assert {e.type for e in tap.received if e.data.get("ticket_id") == str(ticket.ticket_id)} >= {
        "workorder.assigned",
        "workorder.accepted",
        "workorder.departed",
        "workorder.arrived",
        "workorder.resolved",
        "sla.met",
    }


@pytest.mark.parametrize(("status", "action"), list(itertools.product(PATH_TO, ACTIONS)))
async def test_every_transition_is_either_allowed_or_a_409_naming_the_state(
    desk: Desk, crew: Crew, status: str, action: str
) -> None:
    dispatcher, engineer, other = crew
    order, _ = await assigned_order(desk, dispatcher, engineer)
    for previous in PATH_TO[status]:
        who = dispatcher if previous == "cancel" else engineer
        assert (
            await step(desk, order["id"], previous, "on_site" if previous == "resolve" else None, who, other)
        ).status_code == 200
    who = dispatcher if action in ("reassign", "cancel") else engineer
    resp = await step(desk, order["id"], action, status, who, other)
    if action in LEGAL[status]:
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == RESULT[action]
    else:
        assert resp.status_code == 409, resp.text
        problem = resp.json()
        assert resp.headers["content-type"] == "application/problem+json"
        assert problem["current_status"] == status and problem["requested_action"] == action
        after = await desk.client.get(f"/api/work-orders/{order['id']}", headers=dispatcher.headers)
        assert after.json()["status"] == status  # nothing changed


@pytest.mark.parametrize(("unit_cost", "payer"), [("10000.00", "vendor"), ("10000.01", "bureau")])
async def test_the_vendor_bears_repairs_up_to_10000_cny_and_the_bureau_above(
    desk: Desk, crew: Crew, unit_cost: str, payer: str
) -> None:
    dispatcher, engineer, other = crew
    async with EventTap(desk.env.amqp_url, "workorder.resolved") as tap:
        order, _ = await assigned_order(desk, dispatcher, engineer)
        for action in ("accept", "arrive"):
            assert (await step(desk, order["id"], action, None, engineer, other)).status_code == 200
        resp = await desk.client.post(
            f"/api/work-orders/{order['id']}/resolve",
            json={
                "resolution_code": "replaced_part",
                "summary": "更换服务器硬盘",
                "parts": [{"name": "服务器", "quantity": 1, "unit_cost": unit_cost}],
            },
            headers=engineer.headers,
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["total_cost"] == unit_cost and resp.json()["cost_borne_by"] == payer
        await eventually(lambda: tap.of("workorder.resolved", work_order_id=order["id"]))
    assert tap.of("workorder.resolved", work_order_id=order["id"])[0].data["cost_borne_by"] == payer


async def test_parts_added_along_the_way_count_toward_the_total(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    order, _ = await assigned_order(desk, dispatcher, engineer)
    await step(desk, order["id"], "accept", None, engineer, other)
    added = await desk.client.post(
        f"/api/work-orders/{order['id']}/parts",
        json=[{"name": "内存条", "quantity": 4, "unit_cost": "2500.00"}],
        headers=engineer.headers,
    )
    assert added.status_code == 201 and added.json()["total_cost"] == "10000.00"
    await step(desk, order["id"], "arrive", None, engineer, other)
    resp = await desk.client.post(
        f"/api/work-orders/{order['id']}/resolve",
        json={
            "resolution_code": "replaced_part",
            "summary": "更换内存",
            "parts": [{"name": "螺丝", "quantity": 1, "unit_cost": "0.01"}],
        },
        headers=engineer.headers,
    )
    assert resp.json()["total_cost"] == "10000.01" and resp.json()["cost_borne_by"] == "bureau"


async def test_a_remote_resolution_cancels_the_arrival_clock(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    order, ticket = await assigned_order(desk, dispatcher, engineer)
    await step(desk, order["id"], "accept", None, engineer, other)
    not_remote = await desk.client.post(
        f"/api/work-orders/{order['id']}/resolve",
        json={"resolution_code": "software_fix", "summary": "远程重启服务"},
        headers=engineer.headers,
    )
    assert not_remote.status_code == 409  # not on site: must say it was remote
    resp = await desk.client.post(
        f"/api/work-orders/{order['id']}/resolve",
        json={"resolution_code": "software_fix", "summary": "远程重启服务", "remote": True},
        headers=engineer.headers,
    )
    assert resp.status_code == 200 and resp.json()["remote"] is True
    clocks = await desk.clocks(ticket.ticket_id)
    assert clocks["arrival"]["state"] == "cancelled" and clocks["resolution"]["state"] == "met"


async def test_who_may_do_what(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    requester = await desk.person("requester")
    supervisor = await desk.person("supervisor")
    ticket = await desk.ticket()
    body = {"ticket_id": str(ticket.ticket_id), "engineer_id": str(engineer.user_id)}
    assert (await desk.client.post("/api/work-orders", json=body, headers=requester.headers)).status_code == 403
    assert (await desk.client.post("/api/work-orders", json=body, headers=engineer.headers)).status_code == 403
    not_engineer = await desk.client.post(
        "/api/work-orders", json={**body, "engineer_id": str(dispatcher.user_id)}, headers=dispatcher.headers
    )
    assert not_engineer.status_code == 422 and not_engineer.json()["field"] == "engineer_id"
    unknown_field = await desk.client.post(
        "/api/work-orders", json={**body, "urgent": True}, headers=dispatcher.headers
    )
    assert unknown_field.status_code == 422 and unknown_field.json()["errors"][0]["field"] == "urgent"
    created = await desk.client.post("/api/work-orders", json=body, headers=dispatcher.headers)
    assert created.status_code == 201
    again = await desk.client.post("/api/work-orders", json=body, headers=dispatcher.headers)
    assert again.status_code == 409  # one live work order per ticket
    order_id = created.json()["id"]
    # Another engineer neither sees nor moves it; the supervisor reads it.
    assert (await desk.client.get(f"/api/work-orders/{order_id}", headers=other.headers)).status_code == 404
    assert (await desk.client.post(f"/api/work-orders/{order_id}/accept", headers=other.headers)).status_code == 404
    assert (await desk.client.get(f"/api/work-orders/{order_id}", headers=supervisor.headers)).status_code == 200
    # Each engineer's list holds their own work orders only.
    listed = {
        who.user_id: {o["id"] for o in (await desk.client.get("/api/work-orders", headers=who.headers)).json()["items"]}
        for who in (engineer, other)
    }
    assert order_id in listed[engineer.user_id] and order_id not in listed[other.user_id]


async def test_reassignment_needs_a_reason_and_announces_both_engineers(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    order, _ = await assigned_order(desk, dispatcher, engineer)
    no_reason = await desk.client.post(
        f"/api/work-orders/{order['id']}/reassign", json={"engineer_id": str(other.user_id)}, headers=dispatcher.headers
    )
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    async with EventTap(desk.env.amqp_url, "workorder.reassigned") as tap:
        resp = await desk.client.post(
            f"/api/work-orders/{order['id']}/reassign",
            json={"engineer_id": str(other.user_id), "reason": "就近派单"},
            headers=dispatcher.headers,
        )
        assert resp.status_code == 200 and resp.json()["engineer_id"] == str(other.user_id)
        await eventually(lambda: tap.of("workorder.reassigned", work_order_id=order["id"]))
    event = tap.of("workorder.reassigned", work_order_id=order["id"])[0].data
    assert event["previous_engineer_id"] == str(engineer.user_id) and event["reason"] == "就近派单"
    # The first engineer has lost it; the new one can accept it.
    assert (
        await desk.client.post(f"/api/work-orders/{order['id']}/accept", headers=engineer.headers)
    ).status_code == 404
    assert (await desk.client.post(f"/api/work-orders/{order['id']}/accept", headers=other.headers)).status_code == 200


async def test_replaced_media_custody_and_an_approved_removal_are_on_record(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    supervisor = await desk.person("supervisor")
    order, _ = await assigned_order(desk, dispatcher, engineer)
    base = f"/api/work-orders/{order['id']}"
    media = await desk.client.post(
        f"{base}/media",
        json={"serial": "WD-WX12A3456789", "description": "2TB 硬盘", "handed_to": "市局科信处 王伟"},
        headers=engineer.headers,
    )
    assert media.status_code == 201 and media.json()["handed_by"] == str(engineer.user_id)
    removal = await desk.client.post(
        f"{base}/removals", json={"asset": "服务器 SN-88231", "reason": "返厂维修"}, headers=engineer.headers
    )
    assert removal.status_code == 201 and removal.json()["status"] == "requested"
    decision = f"{base}/removals/{removal.json()['id']}/decision"
    assert (await desk.client.post(decision, json={"approve": True}, headers=engineer.headers)).status_code == 403
    approved = await desk.client.post(decision, json={"approve": True, "note": "同意"}, headers=supervisor.headers)
    assert approved.status_code == 200 and approved.json()["decided_by"] == str(supervisor.user_id)
    assert (await desk.client.post(decision, json={"approve": False}, headers=supervisor.headers)).status_code == 409
    detail = (await desk.client.get(base, headers=dispatcher.headers)).json()
    assert detail["media"][0]["serial"] == "WD-WX12A3456789" and detail["removals"][0]["status"] == "approved"
    log = await desk.client.post(
        f"{base}/work-log", json={"note": "检查机柜电源", "minutes": 30}, headers=engineer.headers
    )
    assert log.status_code == 201


async def test_the_engineers_list_says_where_and_by_when(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, _ = crew
    station = await desk.unit()
    async with EventTap(desk.env.amqp_url, "workorder.assigned") as tap:
        order, ticket = await assigned_order(desk, dispatcher, engineer, unit_id=station[-1], location="户籍室二号窗口")
        await eventually(lambda: tap.of("workorder.assigned", work_order_id=order["id"]))
    # The assignment SMS says where to go (notifications has no copy of the unit tree).
    assert tap.of("workorder.assigned", work_order_id=order["id"])[0].data["location"] == "户籍室二号窗口"

    async def row() -> dict[str, Any]:
        listed = await desk.client.get(
            "/api/work-orders", params={"ticket_id": str(ticket.ticket_id)}, headers=engineer.headers
        )
        item: dict[str, Any] = listed.json()["items"][0]
        return item

    await eventually(lambda: _named(row))  # the unit's event may land after the ticket's
    listed = await row()
    assert listed["unit_name"] == "测试单位" and listed["location"] == "户籍室二号窗口"
    clocks = await desk.clocks(ticket.ticket_id)
    assert datetime.fromisoformat(listed["arrival_due_at"]) == datetime.fromisoformat(clocks["arrival"]["due_at"])
    assert datetime.fromisoformat(listed["resolution_due_at"]) == datetime.fromisoformat(clocks["resolution"]["due_at"])


async def _named(row: Callable[[], Awaitable[dict[str, Any]]]) -> bool:
    return (await row()).get("unit_name") is not None


async def test_the_engineer_declines_with_a_reason_and_the_ticket_is_back_in_the_queue(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    async with EventTap(desk.env.amqp_url, "workorder.*") as tap:
        order, ticket = await assigned_order(desk, dispatcher, engineer)
        url = f"/api/work-orders/{order['id']}/decline"
        assert (await desk.client.post(url, json={"reason": " "}, headers=engineer.headers)).status_code == 422
        # Only the assigned engineer declines; a dispatcher reassigns or cancels instead.
        assert (await desk.client.post(url, json={"reason": "病假"}, headers=other.headers)).status_code in (403, 404)
        declined = await desk.client.post(url, json={"reason": "今日病假，无法到场"}, headers=engineer.headers)
        assert declined.status_code == 200, declined.text
        body = declined.json()
        assert body["status"] == "declined"
        assert body["steps"][-1]["action"] == "decline" and body["steps"][-1]["reason"] == "今日病假，无法到场"
        again = await desk.client.post(url, json={"reason": "再次"}, headers=engineer.headers)
        assert again.status_code == 409
        # Back in the queue: the dispatcher may assign it afresh.
        fresh = await desk.client.post(
            "/api/work-orders",
            json={"ticket_id": str(ticket.ticket_id), "engineer_id": str(other.user_id)},
            headers=dispatcher.headers,
        )
        assert fresh.status_code == 201, fresh.text
        await eventually(lambda: len(tap.of("workorder.cancelled", work_order_id=order["id"])) == 1)
    event = tap.of("workorder.cancelled", work_order_id=order["id"])[0].data
    assert event["declined"] is True and event["reason"] == "今日病假，无法到场"


async def test_media_custody_is_required_only_when_media_were_replaced(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    order, _ = await assigned_order(desk, dispatcher, engineer)
    for action in ("accept", "arrive"):
        assert (await step(desk, order["id"], action, None, engineer, other)).status_code == 200
    url = f"/api/work-orders/{order['id']}/resolve"
    flagged = {"resolution_code": "replaced_part", "summary": "更换硬盘", "media_replaced": True}
    refused = await desk.client.post(url, json=flagged, headers=engineer.headers)
    assert refused.status_code == 422 and refused.json()["field"] == "media_replaced"
    custody = {"serial": "WD-123", "description": "旧硬盘 1TB", "handed_to": "王科长"}
    assert (
        await desk.client.post(f"/api/work-orders/{order['id']}/media", json=custody, headers=engineer.headers)
    ).status_code == 201
    assert (await desk.client.post(url, json=flagged, headers=engineer.headers)).status_code == 200
    # A job without replaced media resolves without any custody record.
    plain, _ = await assigned_order(desk, dispatcher, engineer)
    for action in ("accept", "arrive"):
        assert (await step(desk, plain["id"], action, None, engineer, other)).status_code == 200
    done = await desk.client.post(
        f"/api/work-orders/{plain['id']}/resolve",
        json={"resolution_code": "reconfigured", "summary": "重新配置"},
        headers=engineer.headers,
    )
    assert done.status_code == 200 and done.json()["media"] == []


async def test_parts_are_a_list_of_any_length(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    order, _ = await assigned_order(desk, dispatcher, engineer)
    for action in ("accept", "arrive"):
        assert (await step(desk, order["id"], action, None, engineer, other)).status_code == 200
    parts = [{"name": f"螺丝{n}", "quantity": 1, "unit_cost": "1.50"} for n in range(7)]
    done = await desk.client.post(
        f"/api/work-orders/{order['id']}/resolve",
        json={"resolution_code": "replaced_part", "summary": "更换七个零件", "parts": parts},
        headers=engineer.headers,
    )
    assert done.status_code == 200, done.text
    assert len(done.json()["parts"]) == 7 and Decimal(done.json()["total_cost"]) == Decimal("10.50")


async def test_resolved_event_carries_every_part_with_its_catalogue_number(desk: Desk, crew: Crew) -> None:
    dispatcher, engineer, other = crew
    order, _ = await assigned_order(desk, dispatcher, engineer)
    for action in ("accept", "arrive"):
        assert (await step(desk, order["id"], action, None, engineer, other)).status_code == 200
    during = [{"name": "600G硬盘", "quantity": 1, "unit_cost": "1200.00", "part_number": " hd-600g "}]
    added = await desk.client.post(f"/api/work-orders/{order['id']}/parts", json=during, headers=engineer.headers)
    assert added.status_code == 201, added.text
    assert added.json()["parts"][0]["part_number"] == "HD-600G"  # kept as the catalogue writes it
    bad = [{"name": "x", "quantity": 1, "unit_cost": "1", "part_number": "坏 编号"}]
    refused = await desk.client.post(f"/api/work-orders/{order['id']}/parts", json=bad, headers=engineer.headers)
    assert refused.status_code == 422 and "part_number" in refused.text
    async with EventTap(desk.env.amqp_url, "workorder.resolved") as tap:
        done = await desk.client.post(
            f"/api/work-orders/{order['id']}/resolve",
            json={
                "resolution_code": "replaced_part",
                "summary": "更换硬盘和网线",
                "parts": [{"name": "网线", "quantity": 2, "unit_cost": "10.00"}],
            },
            headers=engineer.headers,
        )
        assert done.status_code == 200, done.text
        [event] = await eventually(lambda: tap.of("workorder.resolved", work_order_id=order["id"]))
    parts = event.parse(WorkOrderResolved).parts
    assert [(p.part_number, p.name, p.quantity, p.unit_cost) for p in parts] == [
        ("HD-600G", "600G硬盘", 1, Decimal("1200.00")),
        (None, "网线", 2, Decimal("10.00")),
    ]
