"""Duplicates closed into the ticket that carries on, staff comments internal unless they reply to the requester,
and the canned replies admins keep for operators and dispatchers."""

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from opsdesk_shared.testing.plugin import RunEnvironment


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def file(client: httpx.AsyncClient, headers: dict[str, str], unit_id: uuid.UUID, **extra: object) -> dict:
    body = {
        "title": "制证机卡纸",
        "description": "打印到一半卡纸",
        "category": "fault",
        "priority": "P2",
        "unit_id": str(unit_id),
        "requester_name": "王芳",
        "requester_phone": "13800138021",
        "channel": "hotline",
        **extra,
    }
    resp = await client.post("/api/tickets", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def test_a_duplicate_is_cancelled_into_the_survivor_whose_ticket_its_requester_may_then_read(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Any
) -> None:
    bureau = await units.add(kind="bureau")
    here, there = await units.add(bureau), await units.add(bureau)
    operator = auth(migrated.token("hotline_operator", name="op1"))
    requester = auth(migrated.token("requester", unit_id=here[-1], name="王芳"))
    stranger = auth(migrated.token("requester", unit_id=(await units.add(bureau))[-1]))
    survivor = await file(intake_client, operator, there[-1], title="分局制证中心卡纸")
    duplicate = await file(intake_client, operator, here[-1])
    assert (await intake_client.get(f"/api/tickets/{survivor['id']}", headers=requester)).status_code == 404

    for refused, status in (
        ({"of_number": "NOPE-1"}, 422),
        ({"of_number": duplicate["number"]}, 422),
        ({}, 422),
    ):
        answer = await intake_client.post(f"/api/tickets/{duplicate['id']}/duplicate", json=refused, headers=operator)
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert (
        await intake_client.post(
            f"/api/tickets/{duplicate['id']}/duplicate", json={"of_number": survivor["number"]}, headers=requester
        )
    ).status_code == 403

    marked = await intake_client.post(
        f"/api/tickets/{duplicate['id']}/duplicate", json={"of_number": survivor["number"]}, headers=operator
    )
    assert marked.status_code == 200, marked.text
    closed = marked.json()
    assert closed["status"] == "cancelled"
    assert closed["duplicate_of"] == {"id": survivor["id"], "number": survivor["number"]}
    cancel = [e for e in closed["timeline"] if e["kind"] == "cancel"][-1]
    assert cancel["detail"]["reason"] == f"duplicate of {survivor['number']}"

    # Its requester follows the request on the survivor, in another unit; others still get 404.
    seen = await intake_client.get(f"/api/tickets/{survivor['id']}", headers=requester)
    assert seen.status_code == 200, seen.text
    assert seen.json()["duplicates"] == [{"id": duplicate["id"], "number": duplicate["number"]}]
    assert [e for e in seen.json()["timeline"] if e["kind"] == "duplicate_merged"]
    assert (await intake_client.get(f"/api/tickets/{survivor['id']}", headers=stranger)).status_code == 404
    listed = await intake_client.get("/api/tickets", params={"q": survivor["number"]}, headers=requester)
    assert [t["id"] for t in listed.json()["items"]] == [survivor["id"]]

    # A cancelled ticket carries nothing on.
    third = await file(intake_client, operator, here[-1])
    again = await intake_client.post(
        f"/api/tickets/{third['id']}/duplicate", json={"of_number": duplicate["number"]}, headers=operator
    )
    assert again.status_code == 422 and "of_number" in again.text

    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_intake")
    try:
        payload = await conn.fetchval(
            "SELECT envelope->>'data' FROM outbox_message "
            "WHERE type = 'ticket.cancelled' AND envelope->'data'->>'ticket_id' = $1",
            duplicate["id"],
        )
    finally:
        await conn.close()
    assert survivor["number"] in payload and survivor["id"] in payload


async def test_staff_comments_are_internal_unless_they_reply_to_the_requester(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Any
) -> None:
    unit = await units.add()
    operator = auth(migrated.token("hotline_operator", name="op2"))
    requester = auth(migrated.token("requester", unit_id=unit[-1]))
    ticket = await file(intake_client, operator, unit[-1])
    url = f"/api/tickets/{ticket['id']}/comments"

    note = await intake_client.post(url, json={"body": "疑似批次硬件问题，先别告诉报修人"}, headers=operator)
    assert note.status_code == 201 and note.json()["public"] is False
    reply = await intake_client.post(url, json={"body": "工程师今天下午到", "public": True}, headers=operator)
    assert reply.json()["public"] is True
    own = await intake_client.post(url, json={"body": "好的，谢谢", "public": False}, headers=requester)
    assert own.json()["public"] is True  # what a requester writes, staff and requester both read

    for_requester = await intake_client.get(f"/api/tickets/{ticket['id']}", headers=requester)
    assert [c["body"] for c in for_requester.json()["comments"]] == ["工程师今天下午到", "好的，谢谢"]
    assert "internal_comment" not in {e["kind"] for e in for_requester.json()["timeline"]}
    listed = await intake_client.get(url, headers=requester)
    assert "疑似批次硬件问题" not in listed.text
    for_staff = await intake_client.get(url, headers=operator)
    assert len(for_staff.json()) == 3


@pytest.mark.parametrize("role", ["hotline_operator", "dispatcher"])
async def test_admins_keep_canned_replies_that_operators_and_dispatchers_read(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, role: str
) -> None:
    admin, staff = auth(migrated.token("admin")), auth(migrated.token(role))
    title = f"已派工程师-{role}"
    created = await intake_client.post(
        "/api/canned-replies", json={"title": title, "body": "已为您安排工程师，请保持电话畅通。"}, headers=admin
    )
    assert created.status_code == 201, created.text
    reply = created.json()
    assert (
        await intake_client.post("/api/canned-replies", json={"title": "x", "body": "y"}, headers=staff)
    ).status_code == 403
    assert (
        await intake_client.post("/api/canned-replies", json={"title": title, "body": "again"}, headers=admin)
    ).status_code == 409
    bad = await intake_client.post("/api/canned-replies", json={"title": "", "body": "y"}, headers=admin)
    assert bad.status_code == 422 and "title" in bad.text
    seen = await intake_client.get("/api/canned-replies", headers=staff)
    assert seen.status_code == 200 and reply["id"] in {r["id"] for r in seen.json()}
    requester = auth(migrated.token("requester", unit_id=uuid.uuid4()))
    assert (await intake_client.get("/api/canned-replies", headers=requester)).status_code == 403

    assert (
        await intake_client.patch(f"/api/canned-replies/{reply['id']}", json={"body": "新文本"}, headers=staff)
    ).status_code == 403
    patched = await intake_client.patch(f"/api/canned-replies/{reply['id']}", json={"body": "新文本"}, headers=admin)
    assert patched.status_code == 200 and patched.json()["body"] == "新文本"
    assert (await intake_client.delete(f"/api/canned-replies/{reply['id']}", headers=admin)).status_code == 204
    assert (await intake_client.delete(f"/api/canned-replies/{reply['id']}", headers=admin)).status_code == 404
    assert reply["id"] not in {r["id"] for r in (await intake_client.get("/api/canned-replies", headers=staff)).json()}
