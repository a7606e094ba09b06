"""Who may call what: every operation of the public API, called as every role, as a system client and
as nobody, compared with the access table below (issue 8: deny by default, least privilege, separation
of duties). A call counts as *allowed* when the answer is anything but 401 or 403: the body is an empty
object and path ids are unknown, so an allowed caller meets a 404 or a 422 (the role check runs first)
and nothing is changed. Denied answers are problem+json and carry nothing of the resource.

Unit scoping (a requester sees only the unit's subtree) is checked where the data is: the end-to-end
tests of tickets and reports.
"""

import re
import uuid

import httpx
import pytest

from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.test_walking_skeleton import file_ticket

# Each caller holds one role, so the table reads as separation of duties.
# `manager`: the vendor's project manager (project_manager).
CALLERS = (
    "operator",
    "requester",
    "dispatcher",
    "engineer",
    "supervisor",
    "manager",
    "admin",
    "secadmin",
    "auditor",
    "system",
)
PUBLIC = "anonymous"
PLACEHOLDERS = {"phone": "13900000999", "day": "2026-01-01", "week": "2026-W01", "code": "zz_none", "trigger": "none"}

# operation -> the callers its route lets through (the rest must answer 401 or 403). Routes open to every
# signed-in caller scope the rows themselves (a ticket outside one's unit, another engineer's work order,
# another client's SMS: 404 or an empty list), which `test_callers_without_business_see_no_rows` checks.
# SMS: staff pass for a ticket's SMS, a system client for its own, the security administrator for business SMS
# masked (test_access_rows.py has who then sees which).
ANY_USER = "operator requester dispatcher engineer supervisor manager secadmin auditor admin"
ANY_CALLER = ANY_USER + " system"  # users and system clients (API keys)
ANYONE = ANY_CALLER + " anonymous"
EXPECTED: dict[str, str] = {
    "DELETE /api/admin/api-keys/{key_id}": "secadmin",
    "DELETE /api/admin/users/{user_id}/totp": "secadmin",
    "DELETE /api/canned-replies/{reply_id}": "admin",
    "DELETE /api/sla/policies/{policy_id}": "admin",
    "DELETE /api/sms/opt-outs/{phone}": "operator admin",
    "GET /api/admin/api-keys": "secadmin",
    "GET /api/admin/audit-log": "auditor",
    "GET /api/admin/audit-log/export": "auditor",
    "GET /api/admin/audit-log/verify": "auditor",
    "GET /api/admin/audit-log/checkpoints": "auditor",
    "GET /api/admin/audit-log/verifications/{verification_id}": "auditor",
    "GET /api/admin/units": ANY_USER,
    "GET /api/admin/users": "secadmin admin",
    "GET /api/admin/users/{user_id}": "secadmin admin",
    "GET /api/auth/me": ANY_USER,
    # The knowledge base: published articles are every signed-in caller's (internal ones the vendor's staff's,
    # scoped in the rows); the vendor's staff write, reviewers publish (checked inside), requesters say an
    # article spared them a filing.
    "GET /api/knowledge/search": ANY_CALLER,
    "GET /api/knowledge/suggest": ANY_CALLER,
    "GET /api/knowledge/stats": "operator dispatcher engineer supervisor manager admin",
    "GET /api/knowledge/articles": ANY_CALLER,
    "GET /api/knowledge/articles/{article_id}": ANY_CALLER,
    "POST /api/knowledge/articles": "operator dispatcher engineer manager admin",
    "POST /api/knowledge/articles/from-ticket/{ticket_id}": "operator dispatcher engineer manager admin",
    "PATCH /api/knowledge/articles/{article_id}": "operator dispatcher engineer manager admin",
    "POST /api/knowledge/articles/{article_id}/transitions": "operator dispatcher engineer manager admin",
    "POST /api/knowledge/articles/{article_id}/uses": "operator dispatcher engineer admin",
    "POST /api/knowledge/articles/{article_id}/feedback": ANY_CALLER,
    "POST /api/knowledge/articles/{article_id}/deflections": "requester",
    # The equipment ledger: the vendor's staff and the supervisors read all of it, requesters their unit's subtree;
    # administrators and dispatchers keep it; engineers write the technical ledger too, which requesters do not see.
    "GET /api/assets/by-tag/{tag}/history": "operator requester dispatcher engineer supervisor manager admin",
    "GET /api/assets/by-tag/{tag}/label": "operator requester dispatcher engineer supervisor manager admin",
    "GET /api/assets/labels": "operator requester dispatcher engineer supervisor manager admin",
    "GET /api/assets/faults": "operator requester dispatcher engineer supervisor manager admin",
    "GET /api/assets": "operator requester dispatcher engineer supervisor manager admin",
    "GET /api/assets/export": "operator requester dispatcher engineer supervisor manager admin",
    "GET /api/assets/by-tag/{tag}": "operator requester dispatcher engineer supervisor manager admin",
    "GET /api/assets/{asset_id}": "operator requester dispatcher engineer supervisor manager admin",
    "GET /api/assets/{asset_id}/technical": "operator dispatcher engineer supervisor manager admin",
    "PATCH /api/assets/{asset_id}": "dispatcher admin",
    "POST /api/assets": "dispatcher admin",
    "POST /api/assets/import": "dispatcher admin",
    "POST /api/assets/{asset_id}/status": "dispatcher admin",
    "POST /api/assets/{asset_id}/technical": "dispatcher engineer admin",
    # Inspections (巡检): administrators, dispatchers and the project manager keep checklists and plans, engineers
    # walk the rounds, supervisors read; requesters and the hotline see none of it.
    "GET /api/inspections/templates": "dispatcher engineer supervisor manager admin",
    "GET /api/inspections/templates/{template_id}": "dispatcher engineer supervisor manager admin",
    "POST /api/inspections/templates": "dispatcher manager admin",
    "PATCH /api/inspections/templates/{template_id}": "dispatcher manager admin",
    "GET /api/inspections/plans": "dispatcher engineer supervisor manager admin",
    "GET /api/inspections/plans/{plan_id}": "dispatcher engineer supervisor manager admin",
    "POST /api/inspections/plans": "dispatcher manager admin",
    "PATCH /api/inspections/plans/{plan_id}": "dispatcher manager admin",
    "GET /api/inspections/rounds": "dispatcher engineer supervisor manager admin",
    "GET /api/inspections/rounds/{round_id}": "dispatcher engineer supervisor manager admin",
    "PUT /api/inspections/rounds/{round_id}/stops/{stop_id}": "engineer",
    "POST /api/inspections/rounds/{round_id}/complete": "engineer",
    # Spare parts (备品备件): administrators, dispatchers (and the project manager, a role these callers do not
    # hold) keep the catalogue, stores and stock; engineers issue to their own work orders (checked in the rows:
    # test_spares.py) and read; supervisors read and take the report; requesters and the hotline see none of it.
    "GET /api/spares/parts": "dispatcher engineer supervisor manager admin",
    "GET /api/spares/parts/{part_id}": "dispatcher engineer supervisor manager admin",
    "POST /api/spares/parts": "dispatcher manager admin",
    "PATCH /api/spares/parts/{part_id}": "dispatcher manager admin",
    "GET /api/spares/stores": "dispatcher engineer supervisor manager admin",
    "POST /api/spares/stores": "dispatcher manager admin",
    "GET /api/spares/stock": "dispatcher engineer supervisor manager admin",
    "POST /api/spares/receipts": "dispatcher manager admin",
    "POST /api/spares/issues": "dispatcher engineer manager admin",
    "GET /api/spares/movements": "dispatcher engineer supervisor manager admin",
    "GET /api/spares/reconciliations": "dispatcher engineer supervisor manager admin",
    "GET /api/spares/work-orders/{work_order_id}": "dispatcher engineer supervisor manager admin",
    "GET /api/spares/report": "dispatcher supervisor manager admin",
    # Training and user visits: the vendor's staff arrange; every person reaches the rest, scoped to their unit.
    "POST /api/training/sessions": "dispatcher engineer manager admin",
    "GET /api/training/sessions": ANY_USER,
    "GET /api/training/sessions/{session_id}": ANY_USER,
    "PATCH /api/training/sessions/{session_id}": "dispatcher engineer manager admin",
    "POST /api/training/sessions/{session_id}/sign-in": ANY_USER,
    "PUT /api/training/sessions/{session_id}/feedback": ANY_USER,
    "GET /api/training/sessions/{session_id}/attendees": "operator dispatcher engineer supervisor manager admin",
    "POST /api/training/sessions/{session_id}/materials": "dispatcher engineer manager admin",
    "GET /api/training/sessions/{session_id}/materials/{material_id}": ANY_USER,
    "POST /api/visits/plans": "dispatcher engineer manager admin",
    "GET /api/visits/plans": "operator dispatcher engineer supervisor manager admin",
    "PATCH /api/visits/plans/{plan_id}": "dispatcher engineer manager admin",
    "POST /api/visits": "dispatcher engineer manager admin",
    "GET /api/visits": ANY_USER,
    "GET /api/visits/{visit_id}": ANY_USER,
    "POST /api/visits/{visit_id}/record": "dispatcher engineer manager admin",
    "PUT /api/visits/{visit_id}/survey": ANY_USER,
    "POST /api/visits/{visit_id}/risks/{risk_id}/ticket": "dispatcher engineer manager admin",
    # A risk proposed as a measure: those who record visits and propose measures (the administrator does not).
    "POST /api/visits/{visit_id}/risks/{risk_id}/measure": "dispatcher engineer manager",
    "GET /api/inspections/findings": "dispatcher engineer supervisor manager admin",
    # Improvement measures (改进措施): the vendor's people propose, the project manager reviews, the bureau's
    # supervisor verifies (which step is whose: assets/measures/rules.py); the hotline and requesters see none.
    "GET /api/measures": "dispatcher engineer supervisor manager admin",
    "GET /api/measures/{measure_id}": "dispatcher engineer supervisor manager admin",
    "POST /api/measures": "dispatcher engineer manager",
    "POST /api/measures/{measure_id}/steps": "dispatcher engineer supervisor manager",
    "GET /api/canned-replies": "operator dispatcher engineer supervisor manager admin",
    "GET /api/callers/{phone}": "operator dispatcher",  # masked roles may not look people up by number
    "GET /api/calls": "operator dispatcher supervisor manager admin",
    "GET /api/cti/screen-pops": "operator",
    "GET /api/dispatch/duty/attendance": "dispatcher supervisor manager admin",
    "GET /api/dispatch/duty/me": "operator dispatcher engineer supervisor manager admin",
    "GET /api/dispatch/duty/posts": "operator dispatcher engineer supervisor manager admin",
    "GET /api/dispatch/duty/shifts": "operator dispatcher engineer supervisor manager admin",
    "GET /api/dispatch/duty/people": "dispatcher admin",
    "GET /api/dispatch/queue": "dispatcher supervisor manager admin",
    "GET /api/dispatch/staff/{user_id}": "dispatcher admin",
    "GET /api/dispatch/suggestions": "dispatcher admin",
    "GET /api/engineers": "operator dispatcher engineer supervisor manager admin",
    "GET /api/engineers/{user_id}": "operator dispatcher engineer supervisor manager admin",
    "GET /api/health": ANYONE,
    "GET /api/tickets/export": "operator dispatcher supervisor manager admin",
    "GET /api/tickets/backlog": "operator dispatcher supervisor manager admin",
    "GET /api/tickets/priority": "operator requester dispatcher admin",
    "GET /api/sla/escalations": "dispatcher supervisor manager admin",
    "GET /api/saved-views": ANY_USER,
    "POST /api/saved-views": ANY_USER,
    "DELETE /api/saved-views/{view_id}": ANY_USER,
    "GET /api/reports/inspections": "dispatcher supervisor manager admin",
    "GET /api/reports/inspections/period": "dispatcher supervisor manager admin",
    "GET /api/reports/annual": "dispatcher supervisor manager admin",
    "GET /api/reports/archive": "dispatcher supervisor manager admin",
    "GET /api/reports/archive/{report_id}": "dispatcher supervisor manager admin",
    "GET /api/reports/contract": "operator requester dispatcher supervisor manager admin",
    "GET /api/reports/costs": "dispatcher supervisor manager admin",
    "GET /api/reports/quarterly": "dispatcher supervisor manager admin",
    "GET /api/reports/sla": "requester dispatcher supervisor manager admin",
    "GET /api/reports/summary": "operator requester dispatcher supervisor manager admin",
    "GET /api/reports/weekly": "dispatcher supervisor manager admin",
    "GET /api/reports/weekly/{week}/plan": "dispatcher supervisor manager admin",
    "GET /api/sla/calendar-overrides": ANY_CALLER,
    "GET /api/sla/calendar/{day}": ANY_CALLER,
    "GET /api/sla/policies": ANY_CALLER,
    "GET /api/sla/policies/{policy_id}": ANY_CALLER,
    "GET /api/sla/tickets/{ticket_id}": ANY_CALLER,
    "GET /api/sms/messages": "operator dispatcher engineer supervisor manager secadmin admin system",
    "GET /api/sms/opt-outs": "operator admin",
    "GET /api/sms/provider": ANY_CALLER,
    "GET /api/sms/rules": "operator dispatcher supervisor manager admin",
    "GET /api/sms/templates": "operator dispatcher supervisor manager admin",
    "GET /api/tickets": ANY_CALLER,
    "GET /api/tickets/duplicates": ANY_CALLER,
    "GET /api/tickets/{ticket_id}": ANY_CALLER,
    "GET /api/tickets/{ticket_id}/attachments/{attachment_id}": ANY_CALLER,
    "GET /api/tickets/{ticket_id}/comments": ANY_CALLER,
    "GET /api/work-orders": ANY_CALLER,
    "GET /api/work-orders/{order_id}": ANY_CALLER,
    "PATCH /api/admin/users/{user_id}": "secadmin admin",
    "PATCH /api/calls/{call_id}": "operator dispatcher admin",
    "PATCH /api/canned-replies/{reply_id}": "admin",
    "PATCH /api/engineers/{user_id}": "dispatcher admin",
    "PATCH /api/sla/policies/{policy_id}": "admin",
    "PATCH /api/sms/rules/{trigger}": "admin",
    "POST /api/admin/api-keys": "secadmin",
    "POST /api/admin/audit-log/verifications": "auditor",
    "POST /api/admin/units": "admin",
    "POST /api/admin/users": "secadmin admin",
    # Separation of duties further decides whose password (a privileged account's: the security admin's).
    "POST /api/admin/users/{user_id}/password-reset": "secadmin admin",
    "POST /api/auth/login": ANYONE,
    "POST /api/auth/logout": ANYONE,
    "POST /api/auth/password": ANY_USER,
    "POST /api/auth/refresh": ANYONE,
    "POST /api/auth/totp/confirm": ANY_USER,
    "POST /api/auth/totp/setup": ANY_USER,
    "POST /api/calls": "operator dispatcher admin",
    "POST /api/cti/events": ANY_CALLER,
    "POST /api/dispatch/duty/clock-in": "operator dispatcher engineer supervisor manager admin",
    "POST /api/dispatch/duty/clock-out": "operator dispatcher engineer supervisor manager admin",
    "POST /api/dispatch/duty/posts": "admin",
    "POST /api/dispatch/duty/posts/{post_id}/roster": "dispatcher admin",
    "POST /api/dispatch/duty/shifts": "dispatcher admin",
    "POST /api/reports/archive/weekly/{week}": "dispatcher admin",
    "POST /api/canned-replies": "admin",
    "POST /api/sla/policies": "admin",
    "POST /api/sla/escalations/{escalation_id}/acknowledge": "dispatcher",
    "POST /api/sms/messages": ANY_CALLER,
    "POST /api/sms/messages/batch": ANY_CALLER,
    "POST /api/sms/messages/{message_id}/reveal": "secadmin",
    "POST /api/sms/webhooks/aliyun/report": "",  # from OPSDESK_ALIYUN_PUSH_NETWORKS only, whoever signed in
    "POST /api/sms/webhooks/aliyun/up": "",
    "POST /api/sms/webhooks/twilio/inbound": "",
    "POST /api/sms/webhooks/twilio/status": "",
    "POST /api/tickets": "operator requester dispatcher admin",
    "POST /api/tickets/{ticket_id}/attachments": ANY_CALLER,
    "POST /api/tickets/{ticket_id}/cancel": ANY_CALLER,
    "POST /api/tickets/{ticket_id}/comments": ANY_CALLER,
    "POST /api/tickets/{ticket_id}/confirm": ANY_CALLER,
    "POST /api/tickets/{ticket_id}/duplicate": ANY_CALLER,  # the body first; then operator, dispatcher, admin
    "POST /api/tickets/{ticket_id}/contact": "operator requester dispatcher engineer supervisor manager admin",
    "POST /api/tickets/{ticket_id}/pending": ANY_CALLER,
    "POST /api/tickets/{ticket_id}/reclassify": "operator dispatcher admin",
    "POST /api/tickets/{ticket_id}/reopen": ANY_CALLER,
    "POST /api/tickets/{ticket_id}/resolve": ANY_CALLER,
    "POST /api/tickets/{ticket_id}/resume": "operator dispatcher engineer admin",
    "POST /api/work-orders": "dispatcher admin",
    "POST /api/work-orders/{order_id}/accept": ANY_CALLER,
    "POST /api/work-orders/{order_id}/decline": ANY_CALLER,  # the assigned engineer only: decided on the row
    "POST /api/work-orders/{order_id}/arrive": ANY_CALLER,
    "POST /api/work-orders/{order_id}/cancel": "dispatcher admin",
    "POST /api/work-orders/{order_id}/depart": ANY_CALLER,
    "POST /api/work-orders/{order_id}/media": ANY_CALLER,
    "POST /api/work-orders/{order_id}/parts": ANY_CALLER,
    "POST /api/work-orders/{order_id}/reassign": "dispatcher admin",
    "POST /api/work-orders/{order_id}/removals": ANY_CALLER,
    "POST /api/work-orders/{order_id}/removals/{removal_id}/decision": "supervisor admin",
    "POST /api/work-orders/{order_id}/resolve": ANY_CALLER,
    "POST /api/work-orders/{order_id}/work-log": ANY_CALLER,
    # Monitoring (运行监测): engines post with a system key holding monitoring:write (the matrix's key has other
    # scopes, so nobody here may); the desk reads alerts and rules; admins keep rules, dispatchers windows.
    "POST /api/monitoring/alertmanager": "",
    "POST /api/monitoring/events": "",
    "GET /api/monitoring/alerts": "dispatcher engineer supervisor manager admin",
    "GET /api/monitoring/rules": "dispatcher engineer supervisor manager admin",
    "POST /api/monitoring/rules": "admin",
    "PATCH /api/monitoring/rules/{rule_id}": "admin",
    "DELETE /api/monitoring/rules/{rule_id}": "admin",
    "GET /api/monitoring/maintenance": "dispatcher engineer supervisor manager admin",
    "POST /api/monitoring/maintenance": "dispatcher admin",
    "POST /api/monitoring/maintenance/{window_id}/end": "dispatcher admin",
    "GET /api/monitoring/targets": "admin",
    "GET /api/reports/availability": "operator requester dispatcher supervisor manager admin",
    "GET /api/reports/equipment": "dispatcher supervisor manager admin",
    "GET /api/reports/machine-room": "dispatcher supervisor manager admin",
    "GET /api/reports/monthly": "dispatcher supervisor manager admin",
    "PUT /api/reports/contract": "admin",
    "PUT /api/reports/weekly/{week}/plan": "dispatcher admin",
    "PUT /api/sla/calendar-overrides/{day}": "admin",
    "PUT /api/sms/opt-outs/{phone}": "operator admin",
    "PUT /api/sms/templates/{code}": "admin",
}


@pytest.fixture(scope="module")
def callers(stack: Stack) -> dict[str, dict[str, str]]:
    client = stack.client()
    admin = {"Authorization": f"Bearer {stack.token(STACK_ADMIN)}"}
    suffix = uuid.uuid4().hex[:6]
    # An administrator with the admin role alone (the bootstrap one also holds security_admin).
    password = "Matrix-admin-9z"
    made = client.post(
        "/api/admin/users",
        headers=admin,
        json={"username": f"admin-{suffix}", "password": password, "display_name": "仅管理员", "roles": ["admin"]},
    )
    assert made.status_code == 201, made.text
    key = client.post(
        "/api/admin/api-keys",
        headers={"Authorization": f"Bearer {stack.token('secadmin')}"},
        json={"name": f"matrix-{suffix}", "scopes": ["sms:send", "cti:events"]},
    )
    assert key.status_code == 201, key.text
    tokens = {who: {"Authorization": f"Bearer {stack.token(who)}"} for who in CALLERS if who not in ("admin", "system")}
    login = client.post("/api/auth/login", json={"username": f"admin-{suffix}", "password": password})
    tokens["admin"] = {"Authorization": f"Bearer {login.json()['access_token']}"}
    tokens["system"] = {"X-API-Key": key.json()["key"]}
    tokens[PUBLIC] = {}
    return tokens


def concrete(path: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return PLACEHOLDERS.get(name, str(uuid.uuid4()))

    return re.sub(r"\{([^}]+)\}", fill, path)


def probe(stack: Stack, callers: dict[str, dict[str, str]]) -> dict[str, str]:
    document = httpx.get(f"{stack.url}/api/openapi.json", timeout=10).json()
    seen: dict[str, str] = {}
    with httpx.Client(base_url=stack.url, timeout=15) as client:
        for path, operations in sorted(document["paths"].items()):
            for method in sorted(operations):
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue
                target = concrete(path)
                allowed = []
                for who, headers in callers.items():
                    body: dict[str, object] | None = {} if method in ("post", "put", "patch") else None
                    # Streams (server-sent events) stay open: the answer's status and headers are enough.
                    with client.stream(method.upper(), target, headers=headers, json=body) as resp:
                        if not resp.headers.get("content-type", "").startswith("text/event-stream"):
                            resp.read()
                    assert resp.status_code < 500, (
                        f"{who} {method.upper()} {target}: {resp.status_code} {resp.text[:200]}"
                    )
                    if resp.status_code in (401, 403):
                        assert resp.headers["content-type"].startswith("application/problem+json")
                        assert set(resp.json()) <= {
                            "type",
                            "title",
                            "status",
                            "detail",
                            "instance",
                            "rule",
                            "errors",
                            "code",
                        }
                    else:
                        allowed.append(who)
                seen[f"{method.upper()} {path}"] = " ".join(allowed)
    return seen


def test_every_operation_lets_through_exactly_the_callers_in_the_access_table(
    stack: Stack, callers: dict[str, dict[str, str]]
) -> None:
    seen = probe(stack, callers)
    changed = {op: (EXPECTED.get(op), now) for op, now in seen.items() if EXPECTED.get(op) != now}
    gone = set(EXPECTED) - set(seen)
    assert not changed and not gone, f"access changed: {changed}; operations gone: {gone}"


def test_callers_without_business_see_no_rows(stack: Stack, callers: dict[str, dict[str, str]]) -> None:
    """The system client, the security administrator and the auditor pass some routes' gates, but see
    no ticket, work order or message that is not theirs; nor may staff send business SMS."""
    client = stack.client()
    me = client.get("/api/auth/me", headers=callers["requester"]).json()
    ticket = file_ticket(client, stack.token("operator"), me["unit_id"], "13800138041")
    for who in ("system", "secadmin", "auditor"):
        headers = callers[who]
        assert client.get("/api/tickets", headers=headers).json()["items"] == [], who
        assert client.get(f"/api/tickets/{ticket['id']}", headers=headers).status_code == 404, who
        assert client.get("/api/work-orders", headers=headers).json()["items"] == [], who
    assert client.get("/api/sms/messages", headers=callers["system"]).json()["items"] == []
    sms = {"to": "13800138041", "body": "业务短信"}
    assert client.post("/api/sms/messages", headers=callers["operator"], json=sms).status_code == 403
