"""Who sees which rows (issue 8: role × resource × unit scope, with real data). The access table in
test_access_matrix.py says who passes each route's gate; this one says what each caller then gets of real
rows: a ticket filed at 望京派出所 with its SLA clocks, acceptance SMS, work order (for `engineer`, not
`engineer2`) and report figures, and a business SMS the `system` client sent a citizen, read by every role,
and by requesters at the station itself, at its sub-bureau (朝阳分局, above it) and at another district's
station (中关村派出所).

Each cell is what the caller got:
- `full`: the row, personal data in full;
- `masked`: the row, the requester's name and phone starred (opsdesk_shared/privacy.py), and a role that
  sees them starred cannot find the row by them either (`none` by name, `denied` by number); a business SMS
  with its number starred and its text withheld (notifications/messages/access.py);
- `none`: not there for them (404, or not in the list);
- `denied`: 401 or 403.
"""

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.test_access_matrix import callers  # noqa: F401  (the single-role callers fixture)
from tests.e2e.test_walking_skeleton import file_ticket, wait_for

REQUESTERS = {"req_station": None, "req_district": "BJ-CY", "req_elsewhere": "BJ-HD-ZGC"}
WHO = (
    "operator",
    "dispatcher",
    "engineer",
    "engineer2",
    "supervisor",
    "admin",
    "secadmin",
    "auditor",
    "system",
    "anonymous",
    *REQUESTERS,
)

STAFF_FULL = {"operator": "full", "dispatcher": "full", "engineer": "full", "engineer2": "full"}
NO_BUSINESS = {"secadmin": "none", "auditor": "none", "system": "none", "anonymous": "denied"}
IN_SUBTREE = {"req_station": "full", "req_district": "full", "req_elsewhere": "none"}
# A work order: its readers and its own engineer, not another engineer, not the requesters (they follow the ticket).
ORDER_READERS = {
    "operator": "full",
    "dispatcher": "full",
    "engineer": "full",
    "engineer2": "none",
    "supervisor": "full",
    "admin": "full",
    **NO_BUSINESS,
    "req_station": "none",
    "req_district": "none",
    "req_elsewhere": "none",
}
# Looking a person up by their number is for those who contact them: the hotline and dispatchers.
BY_NUMBER_HOTLINE_ONLY = {who: "full" if who in ("operator", "dispatcher") else "denied" for who in WHO}
EXPECTED: dict[str, dict[str, str]] = {
    "ticket": {**STAFF_FULL, "supervisor": "masked", "admin": "masked", **NO_BUSINESS, **IN_SUBTREE},
    "ticket in list": {**STAFF_FULL, "supervisor": "masked", "admin": "masked", **NO_BUSINESS, **IN_SUBTREE},
    # Masked roles' search leaves names out; their filter by number is refused (as for anyone not contacting people).
    "ticket found by requester name": {
        **STAFF_FULL,
        "supervisor": "none",
        "admin": "none",
        **NO_BUSINESS,
        **IN_SUBTREE,
    },
    "ticket found by requester phone": {
        **STAFF_FULL,
        "supervisor": "denied",
        "admin": "denied",
        **{who: "denied" for who in NO_BUSINESS},
        **IN_SUBTREE,
    },
    "caller lookup by phone": BY_NUMBER_HOTLINE_ONLY,
    "call log by phone": BY_NUMBER_HOTLINE_ONLY,
    "comment on ticket": {
        **STAFF_FULL,
        "supervisor": "full",
        "admin": "full",
        **NO_BUSINESS,
        **IN_SUBTREE,
    },
    "SLA clocks": {**STAFF_FULL, "supervisor": "full", "admin": "full", **NO_BUSINESS, **IN_SUBTREE},
    "work order": ORDER_READERS,
    "work order in list": ORDER_READERS,
    "work-log line on the order": {
        "operator": "denied",
        "dispatcher": "full",
        "engineer": "full",
        "engineer2": "none",
        "supervisor": "denied",
        "admin": "full",
        **NO_BUSINESS,
        "req_station": "none",
        "req_district": "none",
        "req_elsewhere": "none",
    },
    "acceptance SMS": {
        **STAFF_FULL,
        "supervisor": "masked",
        "admin": "masked",
        "secadmin": "none",
        "auditor": "denied",
        "system": "none",
        "anonymous": "denied",
        "req_station": "denied",
        "req_district": "denied",
        "req_elsewhere": "denied",
    },
    # A citizen's message from the residence-permit system: its sender, and the security administrator for
    # support (masked, revealed one at a time with a reason); no staff role (PIPL's minimum necessary).
    "business SMS": {
        **{who: "none" for who in ("operator", "dispatcher", "engineer", "engineer2", "supervisor", "admin")},
        "secadmin": "masked",
        "auditor": "denied",
        "system": "full",
        "anonymous": "denied",
        "req_station": "denied",
        "req_district": "denied",
        "req_elsewhere": "denied",
    },
    "business SMS revealed": {**{who: "denied" for who in WHO}, "secadmin": "full"},
    "station's report figures": {
        "operator": "full",
        "dispatcher": "full",
        "engineer": "denied",
        "engineer2": "denied",
        "supervisor": "full",
        "admin": "full",
        "secadmin": "denied",
        "auditor": "denied",
        "system": "denied",
        "anonymous": "denied",
        "req_station": "full",
        "req_district": "full",
        "req_elsewhere": "denied",
    },
}


def outcome(resp: httpx.Response, *, found: bool = True, masked: bool = False) -> str:
    assert resp.status_code < 500, resp.text
    if resp.status_code in (401, 403):
        assert resp.headers["content-type"].startswith("application/problem+json")
        return "denied"
    if resp.status_code == 404:  # the same answer as for an id that never existed: nothing of the row
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert set(resp.json()) <= {"type", "title", "status", "detail", "instance", "code"}
        return "none"
    if not found:
        return "none"
    assert resp.status_code < 300, resp.text
    return "masked" if masked else "full"


@pytest.fixture(scope="module")
def everyone(stack: Stack, callers: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:  # noqa: F811
    """The gate table's single-role callers, engineer2, and requesters at three places in the unit tree."""
    client = stack.client()
    admin = {"Authorization": f"Bearer {stack.token(STACK_ADMIN)}"}
    units = {u["code"]: u["id"] for u in client.get("/api/admin/units", headers=admin).json()}
    headers = dict(callers)
    headers["engineer2"] = {"Authorization": f"Bearer {stack.token('engineer2')}"}
    headers["req_station"] = callers["requester"]
    for who, code in REQUESTERS.items():
        if code is None:
            continue
        username, password = f"{who}-{uuid.uuid4().hex[:6]}", "Rows-passw0rd"
        made = client.post(
            "/api/admin/users",
            headers=admin,
            json={
                "username": username,
                "password": password,
                "display_name": "范围测试",
                "roles": ["requester"],
                "unit_id": units[code],
            },
        )
        assert made.status_code == 201, made.text
        login = client.post("/api/auth/login", json={"username": username, "password": password})
        headers[who] = {"Authorization": f"Bearer {login.json()['access_token']}"}
    return headers


def probe(stack: Stack, everyone: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    client = stack.client()
    operator, dispatcher = everyone["operator"], everyone["dispatcher"]
    station = client.get("/api/auth/me", headers=everyone["req_station"]).json()["unit_id"]
    phone = f"1357{uuid.uuid4().int % 10**7:07d}"
    ticket = file_ticket(client, stack.token("operator"), station, phone, requester_name="赵六")
    engineer_id = client.get("/api/auth/me", headers=everyone["engineer"]).json()["id"]
    # Dispatch learns of the ticket from its event: its clocks show it has.
    wait_for(
        "dispatch to know the ticket",
        lambda: client.get(f"/api/sla/tickets/{ticket['id']}", headers=operator).is_success,
        30,
    )
    order = client.post(
        "/api/work-orders", headers=dispatcher, json={"ticket_id": ticket["id"], "engineer_id": engineer_id}
    )
    assert order.status_code == 201, order.text
    order_id = order.json()["id"]
    call = {
        "caller_phone": phone,
        "started_at": ticket["created_at"],
        "outcome": "new_ticket",
        "ticket_id": ticket["id"],
    }
    assert client.post("/api/calls", headers=operator, json=call).status_code == 201
    wait_for(
        "the acceptance SMS",
        lambda: client.get("/api/sms/messages", params={"ticket_id": ticket["id"]}, headers=operator).json()["items"],
        60,
    )
    wait_for(
        "the ticket in the report",
        lambda: client.get("/api/reports/summary", params={"unit_id": station}, headers=operator).json()["total"],
        60,
    )

    def ticket_view(who: str) -> str:
        resp = client.get(f"/api/tickets/{ticket['id']}", headers=everyone[who])
        return outcome(resp, masked=resp.status_code == 200 and "*" in resp.json()["requester_phone"])

    def ticket_listed(who: str) -> str:
        resp = client.get("/api/tickets", params={"q": ticket["number"]}, headers=everyone[who])
        items = resp.json().get("items", []) if resp.status_code == 200 else []
        mine = [t for t in items if t["id"] == ticket["id"]]
        return outcome(resp, found=bool(mine), masked=bool(mine) and "*" in mine[0]["requester_phone"])

    def found_by(who: str, params: dict[str, str]) -> str:
        resp = client.get("/api/tickets", params={**params, "limit": "200"}, headers=everyone[who])
        items = resp.json().get("items", []) if resp.status_code == 200 else []
        return outcome(resp, found=any(t["id"] == ticket["id"] for t in items))

    def caller_lookup(who: str) -> str:
        resp = client.get(f"/api/callers/{phone}", headers=everyone[who])
        found = resp.status_code == 200 and any(t["id"] == ticket["id"] for t in resp.json()["open_tickets"])
        return outcome(resp, found=found)

    def calls_by_phone(who: str) -> str:
        resp = client.get("/api/calls", params={"phone": phone}, headers=everyone[who])
        return outcome(resp, found=resp.status_code == 200 and any(c["ticket_id"] == ticket["id"] for c in resp.json()))

    def comment(who: str) -> str:
        body = {"body": f"{who} 留言"}
        return outcome(client.post(f"/api/tickets/{ticket['id']}/comments", headers=everyone[who], json=body))

    def clocks(who: str) -> str:
        return outcome(client.get(f"/api/sla/tickets/{ticket['id']}", headers=everyone[who]))

    def work_order(who: str) -> str:
        return outcome(client.get(f"/api/work-orders/{order_id}", headers=everyone[who]))

    def work_order_listed(who: str) -> str:
        resp = client.get("/api/work-orders", params={"ticket_id": ticket["id"]}, headers=everyone[who])
        items = resp.json().get("items", []) if resp.status_code == 200 else []
        return outcome(resp, found=any(o["id"] == order_id for o in items))

    def field_step(who: str) -> str:
        # A work-log line: a field step that changes nothing of the order's state, so every caller can try.
        body = {"note": f"{who} 记录"}
        return outcome(client.post(f"/api/work-orders/{order_id}/work-log", headers=everyone[who], json=body))

    def sms(who: str) -> str:
        resp = client.get("/api/sms/messages", params={"ticket_id": ticket["id"]}, headers=everyone[who])
        items = resp.json().get("items", []) if resp.status_code == 200 else []
        return outcome(resp, found=bool(items), masked=bool(items) and "*" in items[0]["to"])

    citizen = f"1391{uuid.uuid4().int % 10**7:07d}"
    business = client.post(
        "/api/sms/messages",
        headers=everyone["system"],
        json={"to": citizen, "body": "王五您好，您的居住证已制好，请到望京派出所领取。", "urgent": True},
    )
    assert business.status_code == 202, business.text
    [business_id] = business.json()["ids"]

    def business_sms(who: str) -> str:
        resp = client.get("/api/sms/messages", params={"to": citizen}, headers=everyone[who])
        items = resp.json().get("items", []) if resp.status_code == 200 else []
        return outcome(resp, found=bool(items), masked=bool(items) and "王五" not in items[0]["body"])

    def business_revealed(who: str) -> str:
        body = {"reason": "市民来电称未收到领取通知"}
        resp = client.post(f"/api/sms/messages/{business_id}/reveal", headers=everyone[who], json=body)
        return outcome(resp, masked=resp.status_code == 200 and "王五" not in resp.json()["body"])

    def report(who: str) -> str:
        return outcome(client.get("/api/reports/summary", params={"unit_id": station}, headers=everyone[who]))

    checks: dict[str, Any] = {
        "ticket": ticket_view,
        "ticket in list": ticket_listed,
        "ticket found by requester name": lambda who: found_by(who, {"q": "赵六"}),
        "ticket found by requester phone": lambda who: found_by(who, {"requester_phone": phone}),
        "caller lookup by phone": caller_lookup,
        "call log by phone": calls_by_phone,
        "comment on ticket": comment,
        "SLA clocks": clocks,
        "work order": work_order,
        "work order in list": work_order_listed,
        "work-log line on the order": field_step,
        "acceptance SMS": sms,
        "business SMS": business_sms,
        "business SMS revealed": business_revealed,
        "station's report figures": report,
    }
    seen = {resource: {who: check(who) for who in WHO} for resource, check in checks.items()}
    # Leave `engineer` as free as before: later tests count on the dispatcher's suggestions ranking them.
    cancelled = client.post(f"/api/work-orders/{order_id}/cancel", headers=dispatcher, json={"reason": "测试结束"})
    assert cancelled.status_code == 200, cancelled.text
    return seen


def test_every_role_and_unit_gets_exactly_its_rows(stack: Stack, everyone: dict[str, dict[str, str]]) -> None:
    seen = probe(stack, everyone)
    width = max(map(len, WHO))
    print("\n" + " " * 30 + " ".join(w[:width].rjust(width) for w in WHO))
    for resource, cells in seen.items():
        print(resource.ljust(30) + " ".join(cells[w].rjust(width) for w in WHO))
    differences = {
        (resource, who): (EXPECTED[resource][who], got)
        for resource, cells in seen.items()
        for who, got in cells.items()
        if EXPECTED[resource][who] != got
    }
    assert not differences, f"(resource, caller): (expected, got): {differences}"
