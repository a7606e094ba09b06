"""Phone numbers at rest, across the whole system: after a ticket, its acceptance SMS, its report row, a call
and a new account with a phone have gone through every service, a plain-text dump of every service
database holds none of those numbers. The services still find by number and answer in full to whoever
may see it."""

import subprocess
import uuid

import httpx
from twilio.request_validator import RequestValidator

from notifications.config import SINK_AUTH_TOKEN
from opsdesk_backup.dump import pg_tool
from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.test_walking_skeleton import file_ticket, sink_messages, wait_for

SERVICES = ("gateway", "intake", "dispatch", "notifications", "reporting", "assets")


def dump_text(stack: Stack, service: str) -> str:
    database = f"{stack.env['OPSDESK_DATABASE_PREFIX']}_{service}"
    url = f"{stack.env['OPSDESK_DATABASE_URL']}/{database}"
    done = subprocess.run(
        [pg_tool("pg_dump"), "--data-only", "--no-owner", url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_no_service_database_holds_a_phone_number_in_the_clear(stack: Stack) -> None:
    client = stack.client()
    operator = {"Authorization": f"Bearer {stack.token('operator')}"}
    admin = {"Authorization": f"Bearer {stack.token(STACK_ADMIN)}"}
    series = uuid.uuid4().int % 10**6
    requester, caller, engineer = (f"13{d}{series:06d}{d}0" for d in (5, 6, 7))
    unit = next(u["id"] for u in client.get("/api/admin/units", headers=operator).json() if u["code"] == "BJ-CY-WJ")

    ticket = file_ticket(client, stack.token("operator"), unit, requester)
    logged = client.post(
        "/api/calls",
        headers=operator,
        json={"caller_phone": caller, "started_at": "2026-11-29T08:00:00Z", "outcome": "consultation_answered"},
    )
    assert logged.status_code == 201, logged.text
    account = client.post(
        "/api/admin/users",
        headers=admin,
        json={
            "username": f"eng{series}",
            "password": "Right-passw0rd",
            "display_name": "测试工程师",
            "roles": ["engineer"],
            "phone": engineer,
        },
    )
    assert account.status_code == 201, account.text

    wait_for("the acceptance SMS", lambda: f"+86{requester}" in {m["to"] for m in sink_messages(stack)}, 60)
    wait_for(
        "dispatch to know the new engineer",
        lambda: any(e.get("phone") == f"+86{engineer}" for e in client.get("/api/engineers", headers=operator).json()),
        30,
    )
    # Finding by number still works, in full for the hotline.
    found = client.get("/api/tickets", params={"requester_phone": requester}, headers=operator).json()["items"]
    assert [t["id"] for t in found] == [ticket["id"]] and found[0]["requester_phone"] == f"+86{requester}"

    # The account leaves the dispatcher's suggestions again (later tests expect the demo engineers there).
    retired = client.patch(f"/api/admin/users/{account.json()['id']}", headers=admin, json={"is_active": False})
    assert retired.status_code == 200, retired.text

    for service in SERVICES:
        dump = dump_text(stack, service)
        for number in (requester, caller, engineer):
            assert number not in dump, f"{service}'s database holds {number[:3]}****{number[-4:]} in the clear"


def test_revealing_a_masked_contact_is_in_the_audit_log_with_its_reason(stack: Stack) -> None:
    """The service's before/after reaches the gateway's hashed audit entry: who asked, for which ticket, why."""
    client = stack.client()
    operator = {"Authorization": f"Bearer {stack.token('operator')}"}
    supervisor = {"Authorization": f"Bearer {stack.token('supervisor')}"}
    auditor = {"Authorization": f"Bearer {stack.token('auditor')}"}
    unit = next(u["id"] for u in client.get("/api/admin/units", headers=operator).json() if u["code"] == "BJ-CY-WJ")
    ticket = file_ticket(client, stack.token("operator"), unit, f"1358{uuid.uuid4().int % 10**7:07d}")
    revealed = client.post(f"/api/tickets/{ticket['id']}/contact", headers=supervisor, json={"reason": "回访核实结果"})
    assert revealed.status_code == 200, revealed.text
    assert "opsdesk-audit-changes" not in revealed.headers  # for the audit log only

    entries = client.get("/api/admin/audit-log", params={"action": "tickets.contact"}, headers=auditor).json()
    [entry] = [e for e in entries["items"] if e["path"] == f"/api/tickets/{ticket['id']}/contact"]
    assert entry["actor_name"] == "supervisor" and entry["status"] == 200
    [viewed] = [c for c in entry["changes"] if c["table"] == "ticket_event"]
    assert viewed["op"] == "insert" and viewed["after"]["kind"] == "contact_viewed"
    assert viewed["after"]["detail"] == {"reason": "回访核实结果"}
    # The creation's entry holds the new ticket's row with the phone masked even for the auditor.
    created = client.get("/api/admin/audit-log", params={"action": "tickets.post"}, headers=auditor).json()["items"]
    rows = [c for e in created for c in (e["changes"] or []) if c["table"] == "ticket" and c["key"] == [ticket["id"]]]
    assert rows and "****" in rows[0]["after"]["requester_phone"]


def test_revealing_a_business_sms_is_in_the_audit_log_with_its_reason(stack: Stack) -> None:
    """The security administrator reads a citizen's business SMS masked; the reveal's reason, who and which
    message reach the gateway's audit entry, and the number stays masked there."""
    client = stack.client()
    secadmin = {"Authorization": f"Bearer {stack.token('secadmin')}"}
    auditor = {"Authorization": f"Bearer {stack.token('auditor')}"}
    key = client.post("/api/admin/api-keys", headers=secadmin, json={"name": "permits-audit", "scopes": ["sms:send"]})
    assert key.status_code == 201, key.text
    citizen = f"1392{uuid.uuid4().int % 10**7:07d}"
    sent = client.post(
        "/api/sms/messages",
        headers={"X-API-Key": key.json()["key"]},
        json={"to": citizen, "body": "赵六您好，您的居住证已制好。", "urgent": True},
    )
    assert sent.status_code == 202, sent.text
    [message_id] = sent.json()["ids"]
    [masked] = client.get("/api/sms/messages", params={"to": citizen}, headers=secadmin).json()["items"]
    assert masked["masked"] and citizen not in masked["to"] and "赵六" not in masked["body"]

    path = f"/api/sms/messages/{message_id}/reveal"
    revealed = client.post(path, headers=secadmin, json={"reason": "市民来电称未收到，核对内容"})
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["to"] == f"+86{citizen}" and "赵六" in revealed.json()["body"]
    assert "opsdesk-audit-changes" not in revealed.headers

    entries = client.get("/api/admin/audit-log", params={"action": "sms.messages.reveal"}, headers=auditor).json()
    [entry] = [e for e in entries["items"] if e["path"] == path]
    assert entry["actor_name"] == "secadmin" and entry["status"] == 200
    [reveal] = [c for c in entry["changes"] if c["table"] == "sms_reveal"]
    assert reveal["after"]["reason"] == "市民来电称未收到，核对内容" and reveal["after"]["message_id"] == message_id
    assert citizen not in str(entry)


def test_the_sms_providers_webhooks_get_no_audit_details(stack: Stack) -> None:
    """Webhooks are not audited by the gateway (notifications keeps them): what the service changed still
    must not go back to the provider. A receipt for a message we never sent is kept as an orphan callback,
    a row the service writes, so its answer would carry the before/after."""
    path = "/api/sms/webhooks/twilio/status"
    receipt = {"MessageSid": "SM" + uuid.uuid4().hex, "MessageStatus": "delivered", "AccountSid": "AC" + "1" * 32}
    signature = RequestValidator(SINK_AUTH_TOKEN).compute_signature(stack.url + path, receipt)
    answer = httpx.post(stack.url + path, data=receipt, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert answer.status_code == 204, answer.text
    assert "opsdesk-audit-changes" not in answer.headers
