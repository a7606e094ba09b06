"""The service desk end to end through the gateway, as its people use it: a fault from the hotline to
the requester's confirmation, and the phone system popping a caller onto an operator's console."""

import json
import threading
import uuid
from typing import Any

import httpx

from tests.conftest import Stack
from tests.e2e.test_walking_skeleton import file_ticket, wait_for


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_fault_goes_from_the_hotline_to_the_requesters_confirmation(stack: Stack) -> None:
    client = stack.client()
    operator, dispatcher = bearer(stack.token("operator")), bearer(stack.token("dispatcher"))
    engineer, requester = bearer(stack.token("engineer")), bearer(stack.token("requester"))
    me = client.get("/api/auth/me", headers=requester).json()
    ticket = file_ticket(client, stack.token("operator"), me["unit_id"], "13800138002")
    engineer_id = wait_for(
        "dispatch to know the demo engineer",
        lambda: next(
            (
                e["user_id"]
                for e in client.get("/api/engineers", headers=dispatcher).json()
                if e["username"] == "engineer"
            ),
            None,
        ),
    )
    wait_for(
        "dispatch to know the ticket",
        lambda: client.get("/api/dispatch/queue", params={"limit": 500}, headers=dispatcher).json(),
    )
    order = wait_for(
        "the assignment",
        lambda: (
            (
                r := client.post(
                    "/api/work-orders", json={"ticket_id": ticket["id"], "engineer_id": engineer_id}, headers=dispatcher
                )
            ).status_code
            == 201
            and r.json()
        ),
    )
    for step in ("accept", "depart", "arrive"):
        assert client.post(f"/api/work-orders/{order['id']}/{step}", headers=engineer).status_code == 200
    resolved = client.post(
        f"/api/work-orders/{order['id']}/resolve",
        headers=engineer,
        json={
            "resolution_code": "replaced_part",
            "summary": "更换制证机电源模块",
            "parts": [{"name": "电源模块", "quantity": 1, "unit_cost": "850.00"}],
        },
    )
    assert resolved.status_code == 200 and resolved.json()["cost_borne_by"] == "vendor"

    def requester_sees(status: str) -> Any:
        t = client.get(f"/api/tickets/{ticket['id']}", headers=requester).json()
        return t if t["status"] == status else None

    seen = wait_for("the requester to see it resolved", lambda: requester_sees("resolved"))
    kinds = [e["kind"] for e in seen["timeline"]]
    assert {"engineer_assigned", "engineer_on_the_way", "engineer_on_site", "resolve"} <= set(kinds)
    closed = client.post(
        f"/api/tickets/{ticket['id']}/confirm", json={"rating": 5, "comment": "很快"}, headers=requester
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    clocks = {c["metric"]: c for c in client.get(f"/api/sla/tickets/{ticket['id']}", headers=operator).json()["clocks"]}
    assert clocks["arrival"]["state"] == "met" and clocks["resolution"]["state"] == "met"


def test_the_phone_system_pops_the_caller_on_the_operators_console_through_the_gateway(stack: Stack) -> None:
    client = stack.client()
    key = client.post(
        "/api/admin/api-keys",
        json={"name": f"pbx-{uuid.uuid4().hex[:4]}", "scopes": ["cti:events"]},
        headers=bearer(stack.token("secadmin")),
    )
    assert key.status_code == 201, key.text
    operator = bearer(stack.token("operator"))
    pops: list[dict[str, Any]] = []
    opened = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(base_url=stack.url, timeout=20) as sse,
            sse.stream("GET", "/api/cti/screen-pops", headers=operator) as stream,
        ):
            opened.set()
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    pops.append(json.loads(line[6:]))
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(10)
    call_id = f"pbx-{uuid.uuid4().hex[:8]}"

    def ring() -> Any:
        resp = client.post(
            "/api/cti/events",
            headers={"X-API-Key": key.json()["key"]},
            json={"event": "ringing", "call_id": call_id, "caller": "13800138003", "agent": "operator"},
        )
        assert resp.status_code == 202, resp.text
        listener.join(timeout=1)
        return pops

    [pop] = wait_for("the screen pop", ring, timeout=15)
    assert pop["call_id"] == call_id and pop["caller_masked"] == "+86138****8003"
