"""Priority from impact × urgency, and who may override it: the hotline and the desk, with a reason that
stays in the ticket's timeline; never a requester."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import httpx

from intake.tickets.priority import MATRIX
from opsdesk_shared.testing.plugin import RunEnvironment

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(unit: uuid.UUID, **overrides: object) -> dict[str, object]:
    ticket: dict[str, object] = {
        "title": "专网中断，居住证系统无法登录",
        "description": "全所终端无法访问居住证信息系统。",
        "category": "fault",
        "unit_id": str(unit),
        "requester_name": "赵刚",
        "requester_phone": "13911110002",
        "channel": "hotline",
    }
    ticket.update(overrides)
    return ticket


async def test_the_forms_read_the_computed_priority_from_intake(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    [unit] = await units.add()
    requester = auth(migrated.token("requester", unit_id=unit))
    for (impact, urgency), expected in MATRIX.items():
        resp = await intake_client.get(
            "/api/tickets/priority", params={"impact": impact, "urgency": urgency}, headers=requester
        )
        assert resp.status_code == 200 and resp.json()["priority"] == expected
    bad = await intake_client.get(
        "/api/tickets/priority", params={"impact": "huge", "urgency": "high"}, headers=requester
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


async def test_staff_override_needs_a_reason_kept_in_the_timeline(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    [unit] = await units.add()
    operator = auth(migrated.token("hotline_operator"))
    computed = await intake_client.post(
        "/api/tickets", json=body(unit, impact="high", urgency="high"), headers=operator
    )
    assert computed.status_code == 201 and computed.json()["priority"] == "P1"

    bare = await intake_client.post(
        "/api/tickets", json=body(unit, impact="low", urgency="medium", priority="P1"), headers=operator
    )
    assert bare.status_code == 422 and bare.json()["field"] == "priority_reason"

    reason = "全所业务停办，群众排队"
    resp = await intake_client.post(
        "/api/tickets",
        json=body(unit, impact="low", urgency="medium", priority="P1", priority_reason=reason),
        headers=operator,
    )
    assert resp.status_code == 201, resp.text
    ticket = resp.json()
    assert ticket["priority"] == "P1"
    detail = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=operator)).json()
    [line] = [e for e in detail["timeline"] if e["kind"] == "priority_overridden"]
    assert line["detail"] == {"impact": "low", "urgency": "medium", "matrix": "P4", "priority": "P1", "reason": reason}
    assert line["actor_name"]
    # The requester of that unit reads the same line: why their ticket is ranked as it is.
    requester = auth(migrated.token("requester", unit_id=unit))
    seen = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=requester)).json()
    assert [e["detail"]["reason"] for e in seen["timeline"] if e["kind"] == "priority_overridden"] == [reason]


async def test_a_requester_may_not_override_the_priority(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    [unit] = await units.add()
    requester = auth(migrated.token("requester", unit_id=unit))
    operator = auth(migrated.token("hotline_operator"))
    before = (await intake_client.get("/api/tickets", params={"unit_id": str(unit)}, headers=operator)).json()["items"]
    attempts = [
        body(unit, channel="web", impact="low", urgency="low", priority="P1", priority_reason="很急"),
        body(unit, channel="web", impact="medium", urgency="medium", priority="P2"),
    ]
    for attempt in attempts:
        resp = await intake_client.post("/api/tickets", json=attempt, headers=requester)
        assert resp.status_code == 403, resp.text
        assert resp.headers["content-type"] == "application/problem+json" and resp.json()["field"] == "priority"
    after = (await intake_client.get("/api/tickets", params={"unit_id": str(unit)}, headers=operator)).json()["items"]
    assert len(after) == len(before)
    # What the matrix gives, they get.
    ok = await intake_client.post(
        "/api/tickets", json=body(unit, channel="web", impact="high", urgency="medium"), headers=requester
    )
    assert ok.status_code == 201 and ok.json()["priority"] == "P2"
    same = await intake_client.post(
        "/api/tickets", json=body(unit, channel="web", impact="high", urgency="high", priority="P1"), headers=requester
    )
    assert same.status_code == 201 and same.json()["priority"] == "P1"
