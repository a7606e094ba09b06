"""Reclassifying a filed ticket: staff correct unit, category, kind of work, priority (with a reason), title
and asset; each change is in the timeline, in the audit trail's before/after, and announced as
`ticket.updated` with the ticket's next version."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import asyncpg
import httpx
import pytest

from opsdesk_shared.audit_trail import CHANGES_HEADER
from opsdesk_shared.testing.plugin import RunEnvironment

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ticket_body(unit_id: uuid.UUID, **overrides: object) -> dict[str, object]:
    return {
        "title": "制证机无法启动",
        "description": "开机后无响应。",
        "category": "fault",
        "subcategory": "hardware",
        "priority": "P3",
        "unit_id": str(unit_id),
        "requester_name": "李强",
        "requester_phone": "13800138000",
        "channel": "hotline",
        "asset_tag": "ZZJ-001",
        **overrides,
    }


@pytest.fixture(scope="module", autouse=True)
async def known_tags(ledger, units) -> None:  # type: ignore[no-untyped-def]
    """The tags these tickets name are in the ledger (intake refuses a person's unknown tag)."""
    unit = (await units.add())[-1]
    for tag in ("ZZJ-001", "ZZJ-002"):
        await ledger.register(tag, unit)


async def _updated_events(env: RunEnvironment, ticket_id: str) -> list[dict[str, object]]:
    conn = await asyncpg.connect(f"{env.servers.database_url}/{env.database_prefix}_intake")
    try:
        rows = await conn.fetch(
            "SELECT envelope FROM outbox_message WHERE envelope->>'type' = 'ticket.updated'"
            " AND envelope->'data'->>'ticket_id' = $1 ORDER BY id",
            ticket_id,
        )
    finally:
        await conn.close()
    return [json.loads(r["envelope"])["data"] for r in rows]


# (field sent, value, how the ticket reads it back)
FIELD_CHANGES = [
    ("category", "service_request", "service_request"),
    ("subcategory", "network", "network"),
    ("title", "  制证机卡纸  ", "制证机卡纸"),
    ("asset_tag", "ZZJ-002", "ZZJ-002"),
    ("asset_tag", None, None),
]


@pytest.mark.parametrize(("field", "value", "stored"), FIELD_CHANGES)
async def test_each_field_can_be_corrected_and_lands_in_the_timeline_and_an_event(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units, field: str, value: object, stored: object
) -> None:
    dispatcher = auth(migrated.token("dispatcher", name="disp-reclass"))
    unit = (await units.add())[-1]
    ticket = (await intake_client.post("/api/tickets", json=ticket_body(unit), headers=dispatcher)).json()
    before = ticket[field]

    answer = await intake_client.post(
        f"/api/tickets/{ticket['id']}/reclassify", json={field: value}, headers=dispatcher
    )

    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert changed[field] == stored and changed["status"] == ticket["status"]
    line = [e for e in changed["timeline"] if e["kind"] == "reclassified"]
    assert len(line) == 1 and line[0]["actor_name"] == "disp-reclass"
    assert line[0]["detail"]["changes"] == {field: [before, stored]}
    events = await _updated_events(migrated, ticket["id"])
    assert [e["changes"] for e in events] == [{field: [before, stored]}]
    assert events[0]["aggregate_version"] == 2 and events[0][field] == stored


async def test_unit_and_priority_move_together_the_priority_needing_a_reason(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    operator = auth(migrated.token("hotline_operator", name="op-reclass"))
    city = await units.add(kind="city_bureau")
    vendor, station = (await units.add(city))[-1], await units.add(city)
    ticket = (await intake_client.post("/api/tickets", json=ticket_body(vendor), headers=operator)).json()
    url = f"/api/tickets/{ticket['id']}/reclassify"

    no_reason = await intake_client.post(url, json={"priority": "P1", "unit_id": str(station[-1])}, headers=operator)
    assert no_reason.status_code == 422 and no_reason.headers["content-type"] == "application/problem+json"
    assert "priority_reason" in no_reason.text
    unchanged = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=operator)).json()
    assert (unchanged["priority"], unchanged["unit_id"]) == ("P3", str(vendor))  # nothing half-written

    moved = await intake_client.post(
        url,
        json={"priority": "P1", "priority_reason": "全所无法制证", "unit_id": str(station[-1])},
        headers=operator,
    )
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert (body["priority"], body["priority_reason"], body["unit_id"]) == ("P1", "全所无法制证", str(station[-1]))
    line = next(e for e in body["timeline"] if e["kind"] == "reclassified")
    assert line["detail"] == {
        "changes": {"priority": ["P3", "P1"], "unit_id": [str(vendor), str(station[-1])]},
        "reason": "全所无法制证",
    }
    # The audit log's before/after, handed to the gateway on the response.
    audited = json.loads(moved.headers[CHANGES_HEADER])
    row = next(r for r in audited if r["table"] == "ticket" and r["op"] == "update")
    assert row["before"]["priority"] == "P3" and row["after"]["priority"] == "P1"
    assert row["before"]["unit_id"] == str(vendor) and row["after"]["unit_id"] == str(station[-1])

    # The station's requester now finds it (it was filed under the vendor, out of their reach).
    requester = auth(migrated.token("requester", unit_id=station[-1]))
    assert (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=requester)).status_code == 200
    events = await _updated_events(migrated, ticket["id"])
    assert events[-1]["reason"] == "全所无法制证" and events[-1]["unit_id"] == str(station[-1])


async def test_requesters_and_supervisors_may_not_reclassify_and_empty_requests_are_refused(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    unit = (await units.add())[-1]
    operator = auth(migrated.token("hotline_operator"))
    ticket = (await intake_client.post("/api/tickets", json=ticket_body(unit), headers=operator)).json()
    url = f"/api/tickets/{ticket['id']}/reclassify"
    for role in ("requester", "supervisor", "engineer"):
        refused = await intake_client.post(
            url, json={"title": "改个标题"}, headers=auth(migrated.token(role, unit_id=unit))
        )
        assert refused.status_code == 403, (role, refused.text)
    same = await intake_client.post(url, json={"category": "fault"}, headers=operator)
    assert same.status_code == 422 and same.json()["field"] == "body"
    emptied = await intake_client.post(url, json={"title": None}, headers=operator)
    assert emptied.status_code == 422 and emptied.json()["field"] == "title"
    unknown = await intake_client.post(url, json={"status": "closed"}, headers=operator)
    assert unknown.status_code == 422
    not_in_ledger = await intake_client.post(url, json={"asset_tag": "NOPE-404"}, headers=operator)
    assert not_in_ledger.status_code == 422 and not_in_ledger.json()["field"] == "asset_tag"
    assert not_in_ledger.json()["code"] == "ticket.asset_unknown"
    assert await _updated_events(migrated, ticket["id"]) == []


async def test_a_cancelled_ticket_stays_as_it_was_reported(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    unit = (await units.add())[-1]
    operator = auth(migrated.token("hotline_operator"))
    ticket = (await intake_client.post("/api/tickets", json=ticket_body(unit), headers=operator)).json()
    await intake_client.post(f"/api/tickets/{ticket['id']}/cancel", json={"reason": "重复报修"}, headers=operator)
    refused = await intake_client.post(
        f"/api/tickets/{ticket['id']}/reclassify", json={"category": "complaint"}, headers=operator
    )
    assert refused.status_code == 409, refused.text
