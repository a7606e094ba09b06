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
        json={"caller_phone": "13900139012", "started_at": "2019-03-07T08:00:00Z", "outcome": "consultation_answered"},
        headers=operator,
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["caller_phone"] == "+8613900139012"
    # By the time, not by the number: a masked role may not look calls up by the number (next test).
    window = {"from": "2019-03-07T07:59:00Z", "to": "2019-03-07T08:01:00Z"}
    calls = (await intake_client.get("/api/calls", params=window, headers=supervisor)).json()
    assert [c["caller_phone"] for c in calls if c["id"] == logged.json()["id"]] == ["+86139****9012"]


async def test_masked_roles_cannot_find_tickets_or_calls_by_a_persons_name_or_number(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    """Looking people up would undo the mask one guess at a time: a number's tickets and calls, a name's
    tickets. Supervisors and admins get a 403 naming the parameter (the caller lookup: the route); their
    search leaves names out."""
    operator = auth(migrated.token("hotline_operator"))
    phone, name = f"137{uuid.uuid4().int % 10**8:08d}", "司马" + "懿" * 2
    created = await intake_client.post(
        "/api/tickets", json=ticket_body(requester_name=name, requester_phone=phone), headers=operator
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    call = {"caller_phone": phone, "started_at": "2026-12-07T08:00:00Z", "outcome": "new_ticket"}
    assert (
        await intake_client.post("/api/calls", json={**call, "ticket_id": ticket["id"]}, headers=operator)
    ).is_success

    async def found_by_name(headers: dict[str, str]) -> bool:
        resp = await intake_client.get("/api/tickets", params={"q": name}, headers=headers)
        assert resp.status_code == 200, resp.text
        return ticket["id"] in [t["id"] for t in resp.json()["items"]]

    lookups = {
        "/api/tickets": ("requester_phone", {"requester_phone": phone}),
        "/api/tickets/duplicates": ("requester_phone", {"requester_phone": phone}),
        "/api/calls": ("phone", {"phone": phone}),
    }
    for role in ("supervisor", "admin"):
        masked = auth(migrated.token(role))
        for path, (field, params) in lookups.items():
            resp = await intake_client.get(path, params=params, headers=masked)
            assert resp.status_code == 403, (role, path, resp.text)
            assert resp.headers["content-type"] == "application/problem+json"
            assert (resp.json()["field"], resp.json()["rule"]) == (field, "masked-personal-data")
        # The caller lookup is closed to them at the route (the access table), not by a parameter.
        assert (await intake_client.get(f"/api/callers/{phone}", headers=masked)).status_code == 403
        assert not await found_by_name(masked), role
        by_number = await intake_client.get("/api/tickets", params={"q": ticket["number"]}, headers=masked)
        assert [t["id"] for t in by_number.json()["items"]] == [ticket["id"]]  # searching is otherwise as before

    # The hotline still finds the caller every way.
    assert await found_by_name(operator)
    for path, (_, params) in lookups.items():
        assert (await intake_client.get(path, params=params, headers=operator)).status_code == 200, path
    caller = (await intake_client.get(f"/api/callers/{phone}", headers=operator)).json()
    assert [t["id"] for t in caller["open_tickets"]] == [ticket["id"]]


async def test_the_vendors_project_manager_reads_tickets_and_calls_masked_as_a_supervisor_does(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    operator, manager = auth(migrated.token("hotline_operator")), auth(migrated.token("project_manager", name="pm1"))
    created = await intake_client.post(
        "/api/tickets", json=ticket_body(requester_name="欧阳娜娜", requester_phone=PHONE_DIGITS), headers=operator
    )
    assert created.status_code == 201, created.text
    ticket = created.json()
    seen = await intake_client.get(f"/api/tickets/{ticket['id']}", headers=manager)
    assert seen.status_code == 200, seen.text
    assert (seen.json()["requester_name"], seen.json()["requester_phone"]) == ("欧***", "+86139****9011")
    listed = (await intake_client.get("/api/tickets", params={"q": ticket["number"]}, headers=manager)).json()
    assert [(t["requester_name"], t["requester_phone"]) for t in listed["items"]] == [("欧***", "+86139****9011")]
    by_phone = await intake_client.get("/api/tickets", params={"requester_phone": PHONE_DIGITS}, headers=manager)
    assert by_phone.status_code == 403 and by_phone.json()["rule"] == "masked-personal-data"
    logged = await intake_client.post(
        "/api/calls",
        json={"caller_phone": "13900139013", "started_at": "2019-03-08T08:00:00Z", "outcome": "consultation_answered"},
        headers=operator,
    )
    window = {"from": "2019-03-08T07:59:00Z", "to": "2019-03-08T08:01:00Z"}
    calls = (await intake_client.get("/api/calls", params=window, headers=manager)).json()
    assert [c["caller_phone"] for c in calls if c["id"] == logged.json()["id"]] == ["+86139****9013"]
