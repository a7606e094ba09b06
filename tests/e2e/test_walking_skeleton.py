"""A ticket filed through the gateway reaches every service: clocks, the acceptance SMS, the report.

Runs the real processes (gateway, four APIs, four workers, the Twilio sink) as `make run` does.
"""

import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import Stack


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def file_ticket(client: httpx.Client, token: str, unit_id: str, phone: str, **fields: str) -> dict[str, Any]:
    """A hotline fault ticket; `fields` override any part of it (title, category, priority…)."""
    resp = client.post(
        "/api/tickets",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "title": "居住证制证机无法启动",
            "description": "上午开机后制证机无响应，窗口业务停办。",
            "category": "fault",
            "priority": "P1",
            "unit_id": unit_id,
            "requester_name": "李强",
            "requester_phone": phone,
            "channel": "hotline",
            **fields,
        },
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def sink_messages(stack: Stack) -> list[dict[str, Any]]:
    return list(httpx.get(f"{stack.sink_url}/_sink/messages", timeout=5).json()["messages"])


def test_a_ticket_starts_clocks_sends_one_sms_and_is_counted(stack: Stack) -> None:
    client = stack.client()
    operator = stack.token("operator")
    auth = {"Authorization": f"Bearer {operator}"}
    units = {u["code"]: u["id"] for u in client.get("/api/admin/units", headers=auth).json()}
    # A number no other test used: the per-number SMS limit counts the whole run's messages.
    local = f"1380{uuid.uuid4().int % 10**7:07d}"
    ticket = file_ticket(client, operator, units["BJ-CY-WJ"], local)

    clocks = wait_for(
        "SLA clocks",
        lambda: (
            (r := client.get(f"/api/sla/tickets/{ticket['id']}", headers=auth)).status_code == 200
            and r.json()["clocks"]
        ),
    )
    by_metric = {c["metric"]: c for c in clocks}
    assert by_metric["arrival"]["target_s"] == 7200 and by_metric["resolution"]["target_s"] == 14400
    assert by_metric["arrival"]["started_at"].startswith(ticket["created_at"][:19])

    sms = wait_for("the acceptance SMS", lambda: [m for m in sink_messages(stack) if ticket["number"] in m["body"]])
    assert len(sms) == 1
    assert sms[0]["to"] == f"+86{local}" and sms[0]["body"].startswith("【居住证运维】")

    # The sink's signed delivery receipt came back through the gateway and was accepted.
    delivered = wait_for(
        "the delivery receipt",
        lambda: [
            m
            for m in client.get(f"/api/sms/messages?ticket_id={ticket['id']}", headers=auth).json()["items"]
            if m["status"] == "delivered"
        ],
    )
    assert delivered[0]["provider_sid"] == sms[0]["sid"]

    supervisor = {"Authorization": f"Bearer {stack.token('supervisor')}"}
    summary = wait_for(
        "the report to count it",
        lambda: (s := client.get("/api/reports/summary", headers=supervisor).json())["total"] >= 1 and s,
    )
    assert summary["by_category"]["fault"] >= 1 and summary["by_unit"][units["BJ-CY-WJ"]] >= 1
    # The files come through the gateway whole, with their names.
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF"), ("csv", "\ufeff".encode())):
        export = client.get(f"/api/reports/summary?format={fmt}", headers=supervisor)
        assert export.status_code == 200 and export.content.startswith(magic), fmt
        assert f'.{fmt}"' in export.headers["content-disposition"]


def test_the_web_ui_and_the_merged_api_document_are_served(stack: Stack) -> None:
    client = stack.client()
    assert client.get("/").headers.get("location") == "/login"  # the web UI: signed out, so to sign in
    page = client.get("/login")
    assert page.status_code == 200 and "居住证" in page.text
    document = client.get("/api/openapi.json").json()
    for path in (
        "/api/auth/login",
        "/api/tickets",
        "/api/sla/tickets/{ticket_id}",
        "/api/sms/messages",
        "/api/reports/summary",
        "/api/admin/users",
    ):
        assert path in document["paths"], path
    assert client.get("/api/docs").status_code == 200


def test_percent_encoded_queries_reach_the_service_unchanged_through_the_gateway(stack: Stack) -> None:
    """Regression: the proxy encoded the query's escapes a second time (%2B → %252B), so an E.164 number
    or a Chinese search term arrived garbled (422 "not a phone number", or nothing found)."""
    client = stack.client()
    operator = {"Authorization": f"Bearer {stack.token('operator')}"}
    unit_id = client.get("/api/auth/me", headers={"Authorization": f"Bearer {stack.token('requester')}"}).json()[
        "unit_id"
    ]
    ticket = file_ticket(client, stack.token("operator"), unit_id, "13800138031")
    hints = client.get("/api/tickets/duplicates", params={"requester_phone": "+8613800138031"}, headers=operator)
    assert hints.status_code == 200, hints.text
    assert ticket["id"] in [t["id"] for t in hints.json()]
    found = client.get("/api/tickets", params={"q": "制证机无法启动", "limit": 200}, headers=operator)
    assert found.status_code == 200 and ticket["id"] in [t["id"] for t in found.json()["items"]]


def test_requesters_are_scoped_and_bad_input_gets_a_problem_through_the_gateway(stack: Stack) -> None:
    client = stack.client()
    requester = {"Authorization": f"Bearer {stack.token('requester')}"}
    units = {u["code"]: u["id"] for u in client.get("/api/admin/units", headers=requester).json()}
    foreign = client.post(
        "/api/tickets",
        headers=requester,
        json={
            "title": "x",
            "description": "x",
            "category": "fault",
            "priority": "P3",
            "unit_id": units["BJ-HD-ZGC"],
            "requester_name": "李强",
            "requester_phone": "13800138000",
            "channel": "web",
        },
    )
    assert foreign.status_code == 403
    bad = client.post("/api/tickets", headers=requester, json={"title": "x"})
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} >= {"description", "category", "unit_id"}
    # Found by schemathesis: escaped control characters in a path were decoded by the gateway and refused
    # by its HTTP client (500); NUL in a text reached PostgreSQL (500). Both are the caller's error.
    for path in ("/api/tickets/%0D%0Ainjected", "/api/tickets/%00", "/api/sla/policies/%1F%7F"):
        odd = client.get(path, headers=requester)
        assert odd.status_code in (404, 422) and odd.headers["content-type"] == "application/problem+json", path
    nul = client.post("/api/auth/login", json={"username": "a\u0000b", "password": "x"})
    assert nul.status_code == 422 and nul.headers["content-type"] == "application/problem+json"


def test_ticket_to_sms_latency(stack: Stack) -> None:
    """The issue's figure: POST /api/tickets to the SMS reaching the Twilio server, median of 20.
    Printed, not asserted (speed is measured in `make bench`)."""
    client = stack.client()
    operator = stack.token("operator")
    unit = next(
        u["id"]
        for u in client.get("/api/admin/units", headers={"Authorization": f"Bearer {operator}"}).json()
        if u["code"] == "BJ-CY-LG1"
    )
    latencies = []
    for i in range(20):
        started = time.time()
        ticket = file_ticket(client, operator, unit, f"1390013{i:04d}")
        number = ticket["number"]

        def sms_for(n: str = number) -> list[dict[str, Any]]:
            return [m for m in sink_messages(stack) if n in m["body"]]

        arrived = wait_for("SMS", sms_for)
        latencies.append(arrived[0]["received_at"] - started)
    median_ms = statistics.median(latencies) * 1000
    print(f"\nticket -> SMS at the Twilio server: median {median_ms:.0f} ms, max {max(latencies) * 1000:.0f} ms (n=20)")
    assert len(latencies) == 20


def test_a_request_id_follows_the_ticket_through_every_service(stack: Stack) -> None:
    client = stack.client()
    operator = stack.token("operator")
    auth = {"Authorization": f"Bearer {operator}"}
    unit = next(u["id"] for u in client.get("/api/admin/units", headers=auth).json() if u["code"] == "BJ-DC-DHM")
    request_id = f"e2e-{uuid.uuid4().hex}"
    resp = client.post(
        "/api/tickets",
        headers={**auth, "X-Request-ID": request_id},
        json={
            "title": "网络中断",
            "description": "派出所内网中断",
            "category": "fault",
            "priority": "P2",
            "unit_id": unit,
            "requester_name": "王五",
            "requester_phone": "13700137000",
            "channel": "hotline",
        },
    )
    assert resp.headers["X-Request-ID"] == request_id
    for worker in ("dispatch-worker", "notifications-worker", "reporting-worker"):

        def logged(w: str = worker) -> bool:
            return request_id in stack.logs(w)

        wait_for(f"{worker} to log the request id", logged)
    consumed = [line for line in stack.logs("dispatch-worker").splitlines() if request_id in line]
    assert any('"event": "event_consumed"' in line for line in consumed)


def test_every_service_serves_health_and_metrics(stack: Stack) -> None:
    for service in ("intake", "dispatch", "notifications", "reporting", "assets"):
        base = stack.env[f"OPSDESK_{service.upper()}_URL"]
        assert httpx.get(f"{base}/healthz", timeout=5).json()["service"] == service
        assert httpx.get(f"{base}/readyz", timeout=5).status_code == 200
        assert "opsdesk_http_requests_total" in httpx.get(f"{base}/metrics", timeout=5).text
    assert "opsdesk_http_requests_total" in httpx.get(f"{stack.url}/metrics", timeout=5).text


def test_phone_numbers_never_appear_unmasked_in_logs(stack: Stack) -> None:
    # Runs after the others in this module: their tickets put full numbers through every service.
    logs = stack.logs()
    assert logs, "the processes logged nothing"
    for number in ("13800138000", "+8613800138000"):
        assert number not in logs
