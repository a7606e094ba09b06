"""`ticket.status_changed` names the ticket's unit, so a consumer (the gateway's live stream) can scope it
to who may read the ticket without asking intake."""

import json
import uuid

import asyncpg
import httpx

from opsdesk_shared.testing.plugin import RunEnvironment


async def test_a_status_change_event_carries_the_tickets_unit(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    unit = uuid.uuid4()
    operator = {"Authorization": f"Bearer {migrated.token('hotline_operator')}"}
    body = {
        "title": "制证打印机卡纸",
        "description": "望京派出所居住证制证打印机卡纸，无法打印。",
        "category": "fault",
        "priority": "P2",
        "unit_id": str(unit),
        "requester_name": "李强",
        "requester_phone": "138 0013 8000",
        "channel": "hotline",
    }
    created = await intake_client.post("/api/tickets", json=body, headers=operator)
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    cancelled = await intake_client.post(
        f"/api/tickets/{ticket_id}/cancel", json={"reason": "重复报修"}, headers=operator
    )
    assert cancelled.status_code == 200, cancelled.text
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_intake")
    try:
        rows = await conn.fetch(
            "SELECT envelope FROM outbox_message WHERE envelope->>'type' = 'ticket.status_changed'"
            " AND envelope->'data'->>'ticket_id' = $1",
            ticket_id,
        )
    finally:
        await conn.close()
    changes = [json.loads(r["envelope"])["data"] for r in rows]
    assert changes and all(c["unit_id"] == str(unit) for c in changes), changes
