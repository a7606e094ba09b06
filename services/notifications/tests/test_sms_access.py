"""Who reads which SMS (PIPL minimum necessary): a business SMS is read by the `system` client that sent it
and, masked, by the security administrator, who reveals one with a reason that the audit log keeps; a
ticket's SMS by the staff who work that ticket; nobody else."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from notifications.config import NotificationsSettings
from notifications.messages import access, service
from notifications.messages.models import SmsMessage
from opsdesk_shared.audit_trail import CHANGES_HEADER, decode_changes
from opsdesk_shared.auth import Principal
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment

STAFF = ("hotline_operator", "dispatcher", "engineer", "supervisor", "admin")


def phone() -> str:
    return f"+86137{uuid.uuid4().int % 10**8:08d}"


def bearer(migrated: RunEnvironment, *roles: str, **claims: Any) -> dict[str, str]:  # RunEnvironment.token's claims
    return {"Authorization": f"Bearer {migrated.token(*roles, **claims)}"}


async def business_sms(client: httpx.AsyncClient, headers: dict[str, str], to: str, body: str) -> uuid.UUID:
    sent = await client.post("/api/sms/messages", headers=headers, json={"to": to, "body": body, "urgent": True})
    assert sent.status_code == 202, sent.text
    [message_id] = sent.json()["ids"]
    return uuid.UUID(message_id)


async def ticket_sms(settings: NotificationsSettings, to: str) -> uuid.UUID:
    """An SMS a ticket's rule queued (as the event consumer does), never sent: only its row matters here."""
    engine = create_engine(settings)
    ticket_id = uuid.uuid4()
    try:
        async with session_factory(engine)() as session, session.begin():
            await service.queue_message(
                session, event_id=uuid.uuid4(), recipient=to, body="工单已受理", template=None, ticket_id=ticket_id
            )
    finally:
        await engine.dispose()
    return ticket_id


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> httpx.Response:
    return await client.get("/api/sms/messages", params=params, headers=headers)


@pytest.fixture
def client_headers(migrated: RunEnvironment) -> dict[str, str]:
    return bearer(migrated, "system", scopes=["sms:send"], subject=uuid.uuid4(), name="api-key:residence-permit")


async def test_business_sms_are_read_by_their_sender_and_masked_by_the_security_admin_only(
    notifications_client: httpx.AsyncClient,
    notifications_settings: NotificationsSettings,
    migrated: RunEnvironment,
    client_headers: dict[str, str],
) -> None:
    citizen, body = phone(), "张三您好，您的居住证已制好，请到望京派出所领取。"
    await business_sms(notifications_client, client_headers, citizen, body)
    requester = phone()
    ticket_id = await ticket_sms(notifications_settings, requester)

    for role in STAFF:  # the ticket's SMS, never the citizen's
        business = await listed(notifications_client, bearer(migrated, role), to=citizen)
        assert business.status_code == 200 and business.json()["items"] == [], role
        ticket = await listed(notifications_client, bearer(migrated, role), ticket_id=str(ticket_id))
        assert [m["ticket_id"] for m in ticket.json()["items"]] == [str(ticket_id)], role

    [own] = (await listed(notifications_client, client_headers, to=citizen)).json()["items"]
    assert own["to"] == citizen and "张三" in own["body"] and own["masked"] is False
    other_client = bearer(migrated, "system", scopes=["sms:send"], subject=uuid.uuid4())
    assert (await listed(notifications_client, other_client, to=citizen)).json()["items"] == []
    assert (await listed(notifications_client, client_headers, ticket_id=str(ticket_id))).json()["items"] == []

    security = bearer(migrated, "security_admin")
    [seen] = (await listed(notifications_client, security, to=citizen)).json()["items"]
    assert seen["to"] == citizen[:6] + "****" + citizen[-4:] and seen["masked"] is True
    assert "张三" not in seen["body"] and "望京" not in seen["body"]
    assert (await listed(notifications_client, security, ticket_id=str(ticket_id))).json()["items"] == []

    for role in ("requester", "auditor"):
        assert (await listed(notifications_client, bearer(migrated, role), to=citizen)).status_code == 403, role


async def test_the_security_admin_reveals_a_business_sms_with_a_reason_the_audit_log_keeps(
    notifications_client: httpx.AsyncClient,
    notifications_settings: NotificationsSettings,
    migrated: RunEnvironment,
    client_headers: dict[str, str],
) -> None:
    citizen, body = phone(), "李四您好，请于本周内到中关村派出所补交材料。"
    message_id = await business_sms(notifications_client, client_headers, citizen, body)
    security = bearer(migrated, "security_admin", name="secadmin")
    path = f"/api/sms/messages/{message_id}/reveal"

    for bad in ({}, {"reason": "  查  "}, {"reason": "x" * 501}, {"reason": "市民来电投诉未收到", "extra": 1}):
        refused = await notifications_client.post(path, headers=security, json=bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert CHANGES_HEADER not in refused.headers  # nothing recorded for a refused request

    reason = "市民来电称未收到补交材料通知，核对短信内容"
    revealed = await notifications_client.post(path, headers=security, json={"reason": reason})
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["to"] == citizen and revealed.json()["body"].endswith(body)
    assert revealed.headers["cache-control"] == "no-store"
    # What the gateway's edge writes into the audit entry: who revealed which message, and why.
    [change] = decode_changes([revealed.headers[CHANGES_HEADER].encode()]) or []
    assert change["op"] == "insert" and change["table"] == "sms_reveal"
    assert change["after"]["message_id"] == str(message_id) and change["after"]["reason"] == reason
    assert change["after"]["actor_name"] == "secadmin"
    assert citizen not in revealed.headers[CHANGES_HEADER]  # the audit log never holds the number

    ticket_id = await ticket_sms(notifications_settings, phone())
    dispatcher = bearer(migrated, "dispatcher")
    [ticket_message] = (await listed(notifications_client, dispatcher, ticket_id=str(ticket_id))).json()["items"]
    for target in (ticket_message["id"], str(uuid.uuid4())):  # not a business SMS, or none at all
        missing = await notifications_client.post(
            f"/api/sms/messages/{target}/reveal", headers=security, json={"reason": reason}
        )
        assert missing.status_code == 404
    for who in (dispatcher, bearer(migrated, "admin"), bearer(migrated, "supervisor"), client_headers):
        denied = await notifications_client.post(path, headers=who, json={"reason": reason})
        assert denied.status_code == 403


CLIENT = uuid.UUID(int=7)
NUMBER, TEXT = "+8613800138000", "【居住证运维】张三您好，您的居住证已制好。"


@pytest.mark.parametrize(
    ("roles", "subject", "kind", "expected"),
    [
        (("system",), CLIENT, "business", (NUMBER, TEXT, False)),  # its own message, to a number it gave
        (("security_admin",), uuid.UUID(int=1), "business", ("+86138****8000", access.MASKED_BODY, True)),
        (("admin", "security_admin"), uuid.UUID(int=1), "business", ("+86138****8000", access.MASKED_BODY, True)),
        (("hotline_operator",), uuid.UUID(int=1), "ticket", (NUMBER, TEXT, False)),
        (("engineer",), uuid.UUID(int=1), "ticket", (NUMBER, TEXT, False)),
        (("supervisor",), uuid.UUID(int=1), "ticket", ("+86138****8000", TEXT, True)),
        (("admin", "security_admin"), uuid.UUID(int=1), "ticket", ("+86138****8000", TEXT, True)),
    ],
)
def test_what_each_reader_sees_of_a_message(
    roles: tuple[str, ...], subject: uuid.UUID, kind: str, expected: tuple[str, str, bool]
) -> None:
    principal = Principal(subject=subject, username="x", roles=frozenset(roles), unit_id=None)
    now = datetime.now(UTC)
    message = SmsMessage(
        recipient=NUMBER,
        body=TEXT,
        client_id=CLIENT if kind == "business" else None,
        ticket_id=None if kind == "business" else uuid.uuid4(),
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    assert access.shown(principal, message) == expected
