"""The ticket life cycle of SPEC §4 through intake's HTTP API and dispatch's events: every action from
every status, the requester's own actions, and the status a requester sees move without asking."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units

STATUSES = ("new", "assigned", "in_progress", "on_site", "pending", "resolved", "closed", "reopened", "cancelled")
ACTIONS = ("pending", "resume", "resolve", "confirm", "reopen", "cancel")
# The contract's table, written out independently of the code's.
LEGAL = {
    "pending": {"new", "assigned", "in_progress", "on_site", "reopened"},
    "resume": {"pending"},
    "resolve": {"new", "assigned", "in_progress", "on_site", "reopened"},
    "confirm": {"resolved"},
    "reopen": {"resolved", "closed"},
    "cancel": {"new", "assigned", "reopened"},
}
RESULT = {"pending": "pending", "resolve": "resolved", "confirm": "closed", "reopen": "reopened", "cancel": "cancelled"}
BODIES: dict[str, dict[str, Any]] = {
    "pending": {"reason": "等待派出所提供设备序列号"},
    "resume": {},
    "resolve": {"resolution_code": "guided_fix", "summary": "电话指导重启读卡器服务"},
    "confirm": {"rating": 5, "comment": "很及时"},
    "reopen": {"reason": "问题再次出现"},
    "cancel": {"reason": "重复报修"},
}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Desk:
    def __init__(self, client: httpx.AsyncClient, env: RunEnvironment, unit: list[uuid.UUID]) -> None:
        self.client, self.env, self.unit = client, env, unit
        self.operator = auth(env.token("hotline_operator", name="operator"))
        self.requester_id = uuid.uuid4()
        self.requester = auth(env.token("requester", unit_id=unit[-1], subject=self.requester_id, name="李强"))

    async def file(self, headers: dict[str, str] | None = None, **overrides: object) -> dict:
        body = {
            "title": "居住证读卡器无法识别",
            "description": "受理窗口读卡器无法识别身份证",
            "category": "fault",
            "priority": "P2",
            "unit_id": str(self.unit[-1]),
            "requester_name": "李强",
            "requester_phone": "13800138000",
            "channel": "web",
            **overrides,
        }
        resp = await self.client.post("/api/tickets", json=body, headers=headers or self.operator)
        assert resp.status_code == 201, resp.text
        return resp.json()

    async def act(
        self, ticket_id: str, action: str, headers: dict[str, str] | None = None, body: dict | None = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/tickets/{ticket_id}/{action}",
            json=BODIES[action] if body is None else body,
            headers=headers or self.operator,
        )

    async def get(self, ticket_id: str, headers: dict[str, str] | None = None) -> dict:
        return (await self.client.get(f"/api/tickets/{ticket_id}", headers=headers or self.operator)).json()

    async def work_order(self, ticket: dict, event_cls: type, **extra: object) -> None:
        await publish(
            self.env.amqp_url,
            event_cls(
                work_order_id=uuid.uuid5(uuid.NAMESPACE_URL, ticket["id"]),
                ticket_id=ticket["id"],
                ticket_number=ticket["number"],
                status="x",
                engineer_id=uuid.uuid4(),
                engineer_name="工程师 刘洋",
                engineer_phone="+8613800010004",
                at=datetime.now(UTC),
                **extra,
            ),
        )

    async def status_becomes(self, ticket_id: str, status: str) -> dict:
        async def probe() -> dict[str, Any] | None:
            ticket = await self.get(ticket_id)
            return ticket if ticket["status"] == status else None

        return await eventually(probe)

    async def in_status(self, status: str) -> dict:
        ticket = await self.file()
        tid = ticket["id"]
        if status in ("assigned", "in_progress", "on_site"):
            await self.work_order(ticket, d.WorkOrderAssigned)
            await self.status_becomes(tid, "assigned")
        if status in ("in_progress", "on_site"):
            await self.work_order(ticket, d.WorkOrderAccepted)
            await self.status_becomes(tid, "in_progress")
        if status == "on_site":
            await self.work_order(ticket, d.WorkOrderArrived)
            await self.status_becomes(tid, "on_site")
        for action in {
            "pending": ["pending"],
            "resolved": ["resolve"],
            "closed": ["resolve", "confirm"],
            "reopened": ["resolve", "reopen"],
            "cancelled": ["cancel"],
        }.get(status, []):
            assert (await self.act(tid, action)).status_code == 200
        assert (await self.get(tid))["status"] == status
        return ticket


@pytest.fixture(scope="module")
async def desk(intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units) -> Desk:
    return Desk(intake_client, migrated, await units.add())


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in STATUSES for a in ACTIONS])
async def test_every_action_from_every_status(desk: Desk, status: str, action: str) -> None:
    ticket = await desk.in_status(status)
    resp = await desk.act(ticket["id"], action)
    if status in LEGAL[action]:
        assert resp.status_code == 200, resp.text
        expected = RESULT.get(action, "new")  # resume returns to where it was: `new` here
        assert resp.json()["status"] == expected
    else:
        assert resp.status_code == 409, resp.text
        problem = resp.json()
        assert resp.headers["content-type"] == "application/problem+json"
        assert problem["current_status"] == status and problem["requested_action"]
        assert (await desk.get(ticket["id"]))["status"] == status


async def test_pending_needs_a_reason_that_the_requester_sees_and_resume_returns_where_it_was(desk: Desk) -> None:
    ticket = await desk.in_status("on_site")
    no_reason = await desk.act(ticket["id"], "pending", body={})
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    await desk.act(ticket["id"], "pending")
    seen = await desk.get(ticket["id"], desk.requester)
    assert seen["status"] == "pending" and seen["pending_reason"] == BODIES["pending"]["reason"]
    assert any(e["kind"] == "pend" and e["detail"]["reason"] for e in seen["timeline"])
    assert (await desk.act(ticket["id"], "resume")).json()["status"] == "on_site"


async def test_the_requester_follows_the_engineer_without_asking(desk: Desk) -> None:
    ticket = await desk.file(desk.requester)
    await desk.work_order(ticket, d.WorkOrderAssigned, expected_arrival_at=datetime.now(UTC))
    assigned = await desk.status_becomes(ticket["id"], "assigned")
    assert assigned["engineer_name"] == "工程师 刘洋"
    await desk.work_order(ticket, d.WorkOrderDeparted)
    await desk.status_becomes(ticket["id"], "in_progress")
    await desk.work_order(ticket, d.WorkOrderArrived)
    await desk.status_becomes(ticket["id"], "on_site")
    await publish(
        desk.env.amqp_url,
        d.SlaBreached(
            ticket_id=ticket["id"],
            clock_id=uuid.uuid4(),
            metric="resolution",
            due_at=datetime.now(UTC),
            fired_at=datetime.now(UTC),
            breached_at=datetime.now(UTC),
        ),
    )
    await desk.work_order(
        ticket,
        d.WorkOrderResolved,
        remote=False,
        resolution_code="replaced_part",
        summary="更换读卡器",
        total_cost="300.00",
        cost_borne_by="vendor",
    )
    resolved = await desk.status_becomes(ticket["id"], "resolved")
    assert resolved["resolution_code"] == "replaced_part" and resolved["resolved_remotely"] is False
    staff_view = await eventually(lambda: _breached(desk, ticket["id"]))
    assert any(e["kind"] == "sla_breached" for e in staff_view["timeline"])
    mine = await desk.get(ticket["id"], desk.requester)
    kinds = [e["kind"] for e in mine["timeline"]]
    assert {"engineer_assigned", "engineer_on_the_way", "engineer_on_site", "resolve"} <= set(kinds)
    assert "sla_breached" not in kinds  # the vendor's internal alarm is not the requester's business
    closed = await desk.act(ticket["id"], "confirm", desk.requester, {"rating": 4, "comment": "满意"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["rating"] == 4


async def _breached(desk: Desk, ticket_id: str) -> dict | None:
    ticket = await desk.get(ticket_id)
    return ticket if ticket["sla_state"] == "breached" else None


async def test_requester_actions_rules(desk: Desk) -> None:
    bad_rating = await desk.act((await desk.in_status("resolved"))["id"], "confirm", desk.requester, {"rating": 6})
    assert bad_rating.status_code == 422 and bad_rating.json()["errors"][0]["field"] == "rating"
    mine = await desk.file(desk.requester)
    assert (await desk.act(mine["id"], "cancel", desk.requester)).json()["status"] == "cancelled"
    someone_elses = await desk.file()  # filed by the hotline for this unit
    assert (await desk.act(someone_elses["id"], "cancel", desk.requester)).status_code == 403
    taken = await desk.file(desk.requester)
    await desk.work_order(taken, d.WorkOrderAssigned)
    await desk.status_becomes(taken["id"], "assigned")
    late = await desk.act(taken["id"], "cancel", desk.requester)
    assert late.status_code == 409 and late.json()["current_status"] == "assigned"
    resolved = await desk.in_status("resolved")
    reopened = await desk.act(resolved["id"], "reopen", desk.requester)
    assert reopened.json()["status"] == "reopened" and reopened.json()["reopen_count"] == 1
    # A requester may not resolve or put on hold.
    assert (await desk.act(reopened.json()["id"], "resolve", desk.requester)).status_code == 403
    assert (await desk.act(reopened.json()["id"], "pending", desk.requester)).status_code == 403


async def test_comments_public_and_internal(desk: Desk) -> None:
    ticket = await desk.file()
    public = await desk.client.post(
        f"/api/tickets/{ticket['id']}/comments",
        headers=desk.operator,
        json={"body": "工程师预计 10:30 到达", "public": True},
    )
    internal = await desk.client.post(
        f"/api/tickets/{ticket['id']}/comments",
        headers=desk.operator,
        json={"body": "该站点设备老化，建议更换", "public": False},
    )
    from_requester = await desk.client.post(
        f"/api/tickets/{ticket['id']}/comments", headers=desk.requester, json={"body": "好的，谢谢", "public": False}
    )
    assert public.status_code == internal.status_code == from_requester.status_code == 201
    assert from_requester.json()["public"] is True  # what a requester writes is never hidden from them
    seen = await desk.get(ticket["id"], desk.requester)
    assert [c["body"] for c in seen["comments"]] == ["工程师预计 10:30 到达", "好的，谢谢"]
    assert "internal_comment" not in [e["kind"] for e in seen["timeline"]]
    assert len((await desk.get(ticket["id"]))["comments"]) == 3


async def test_reopening_is_allowed_only_within_the_window(desk: Desk) -> None:
    import asyncpg

    ticket = await desk.in_status("resolved")
    conn = await asyncpg.connect(f"{desk.env.servers.database_url}/{desk.env.database_prefix}_intake")
    try:  # eight days pass (the default window is seven)
        await conn.execute(
            "UPDATE ticket SET resolved_at = resolved_at - interval '8 days' WHERE id = $1", uuid.UUID(ticket["id"])
        )
    finally:
        await conn.close()
    late = await desk.act(ticket["id"], "reopen", desk.requester)
    assert late.status_code == 422 and late.json()["rule"] == "reopen_window"
    assert (await desk.get(ticket["id"]))["status"] == "resolved"


async def test_a_reply_of_1_closes_and_2_reopens_through_the_life_cycle(desk: Desk) -> None:
    from opsdesk_shared.contracts.notifications import SmsReplyReceived

    def reply(ticket: dict, intent: str) -> SmsReplyReceived:
        return SmsReplyReceived(
            inbound_sid="SM" + uuid.uuid4().hex,
            from_phone="+8613800138000",
            ticket_id=ticket["id"],
            intent=intent,
            body="1" if intent == "confirm" else "2",
            received_at=datetime.now(UTC),
        )

    confirmed, reopened, too_early = (
        await desk.in_status("resolved"),
        await desk.in_status("resolved"),
        await desk.in_status("on_site"),
    )
    await publish(
        desk.env.amqp_url, reply(confirmed, "confirm"), reply(reopened, "reopen"), reply(too_early, "confirm")
    )
    closed = await desk.status_becomes(confirmed["id"], "closed")
    assert closed["timeline"][-1]["actor_name"] == "短信回复"
    again = await desk.status_becomes(reopened["id"], "reopened")
    assert again["reopen_count"] == 1

    async def noted() -> dict[str, Any] | None:
        t = await desk.get(too_early["id"])
        return t if "sms_reply_ignored" in [e["kind"] for e in t["timeline"]] else None

    ignored = await eventually(noted)
    assert ignored["status"] == "on_site"  # a reply that does not fit changes nothing


async def test_an_engineers_decline_puts_the_ticket_back_with_the_reason_in_its_timeline(desk: Desk) -> None:
    ticket = await desk.file()
    await desk.work_order(ticket, d.WorkOrderAssigned)
    await desk.status_becomes(ticket["id"], "assigned")
    await desk.work_order(ticket, d.WorkOrderCancelled, reason="今日病假，无法到场", declined=True)
    back = await desk.status_becomes(ticket["id"], "new")
    assert back["engineer_name"] is None
    [cancelled] = [e for e in back["timeline"] if e["kind"] == "work_order_cancelled"]
    assert cancelled["detail"]["reason"] == "今日病假，无法到场" and cancelled["detail"]["declined"] is True
