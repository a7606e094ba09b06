"""Personal data in intake: masked for roles that need not contact the person, revealed one ticket at a time
with a reason that is kept, and encrypted at rest in the table and in the event waiting in the outbox."""

import json
import uuid

import asyncpg
import httpx

from opsdesk_shared.testing.plugin import RunEnvironment

PHONE_DIGITS = "13900139011"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ticket_body(**overrides: object) -> dict[str, object]:
    return {
        "title": "制证机无法启动",
        "description": "开机后无响应。",
        "category": "fault",
        "priority": "P2",
        "unit_id": str(uuid.uuid4()),
        "requester_name": "李强",
        "requester_phone": "13800138000",
        "channel": "hotline",
        **overrides,
    }


async def test_supervisors_see_masked_contacts_and_reveal_one_with_a_kept_reason(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    operator, supervisor = auth(migrated.token("hotline_operator")), auth(migrated.token("supervisor", name="sup1"))
    created = await intake_client.post(
        "/api/tickets", json=ticket_body(requester_name="欧阳娜娜", requester_phone=PHONE_DIGITS), headers=operator
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert (ticket["requester_name"], ticket["requester_phone"]) == ("欧阳娜娜", f"+86{PHONE_DIGITS}")

    seen = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=supervisor)).json()
    assert (seen["requester_name"], seen["requester_phone"]) == ("欧***", "+86139****9011")
    listed = (await intake_client.get("/api/tickets", params={"q": ticket["number"]}, headers=supervisor)).json()
    assert [(t["requester_name"], t["requester_phone"]) for t in listed["items"]] == [("欧***", "+86139****9011")]

    for refused in ({}, {"reason": "看看"}, {"reason": "回访核实", "also": 1}):
        answer = await intake_client.post(f"/api/tickets/{ticket['id']}/contact", json=refused, headers=supervisor)
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    revealed = await intake_client.post(
        f"/api/tickets/{ticket['id']}/contact", json={"reason": "回访核实满意度"}, headers=supervisor
    )
    assert revealed.status_code == 200, revealed.text
    assert revealed.json() == {"requester_name": "欧阳娜娜", "requester_phone": f"+86{PHONE_DIGITS}"}
    timeline = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=operator)).json()["timeline"]
    viewed = [e for e in timeline if e["kind"] == "contact_viewed"]
    assert (
        len(viewed) == 1 and viewed[0]["actor_name"] == "sup1" and viewed[0]["detail"] == {"reason": "回访核实满意度"}
    )

    # At rest: neither the ticket's row nor the event waiting in the outbox holds the number in the clear.
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_intake")
    try:
        stored = await conn.fetchval("SELECT requester_phone FROM ticket WHERE id = $1::uuid", ticket["id"])
        envelope = await conn.fetchval(
            "SELECT envelope FROM outbox_message WHERE envelope->'data'->>'ticket_id' = $1", ticket["id"]
        )
    finally:
        await conn.close()
    assert stored.startswith("v1:") and PHONE_DIGITS not in stored
    assert PHONE_DIGITS not in envelope and json.loads(envelope)["data"]["requester_phone"].startswith("v1:")
    # ...and finding tickets by the number still works.
    by_phone = await intake_client.get("/api/tickets", params={"requester_phone": PHONE_DIGITS}, headers=operator)
    assert [t["id"] for t in by_phone.json()["items"]] == [ticket["id"]]


async def test_the_call_log_masks_the_number_for_supervisors(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    operator, supervisor = auth(migrated.token("hotline_operator")), auth(migrated.token("supervisor"))
    logged = await intake_client.post(
        "/api/calls",
        json={"caller_phone": "13900139012", "started_at": "2026-11-29T08:00:00Z", "outcome": "consultation_answered"},
        headers=operator,
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["caller_phone"] == "+8613900139012"
    calls = (await intake_client.get("/api/calls", params={"phone": "13900139012"}, headers=supervisor)).json()
    assert [c["caller_phone"] for c in calls] == ["+86139****9012"]
