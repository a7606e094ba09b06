"""A ticket's timeline and comments, and the call log, name people as they are known (the gateway's display
name), not by their account name, which is what the lines were written with."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from opsdesk_shared.contracts.gateway import UserCreated
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units


async def test_the_timeline_comments_and_calls_show_display_names(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    station = await units.add()
    operator_id = uuid.uuid4()
    username = f"op-{operator_id.hex[:6]}"
    await publish(
        migrated.amqp_url,
        UserCreated(
            user_id=operator_id,
            username=username,
            display_name="王芳",
            phone=None,
            roles=["hotline_operator"],
            unit_id=None,
            is_active=True,
        ),
    )
    headers = {"Authorization": f"Bearer {migrated.token('hotline_operator', subject=operator_id, name=username)}"}
    ticket = (
        await intake_client.post(
            "/api/tickets",
            headers=headers,
            json={
                "title": "制证机卡纸",
                "description": "卡纸无法出证",
                "category": "fault",
                "unit_id": str(station[-1]),
                "requester_name": "李强",
                "requester_phone": "13800138077",
                "channel": "hotline",
            },
        )
    ).json()
    said = await intake_client.post(
        f"/api/tickets/{ticket['id']}/comments", headers=headers, json={"body": "已联系派出所"}
    )
    assert said.status_code == 201, said.text

    async def named() -> dict[str, Any] | None:
        detail = (await intake_client.get(f"/api/tickets/{ticket['id']}", headers=headers)).json()
        return detail if detail["timeline"][0]["actor_name"] == "王芳" else None

    detail = await eventually(named)  # once intake has the user from the gateway's event
    assert [c["author_name"] for c in detail["comments"]] == ["王芳"]
    assert username not in str(detail["timeline"]) + str(detail["comments"])
    logged = await intake_client.post(
        "/api/calls",
        headers=headers,
        json={
            "caller_phone": "13800138077",
            "started_at": datetime.now(UTC).isoformat(),
            "outcome": "follow_up",
            "ticket_id": ticket["id"],
        },
    )
    assert logged.status_code == 201, logged.text
    assert logged.json()["operator_name"] == "王芳"
    calls = (await intake_client.get("/api/calls", headers=headers, params={"limit": 50})).json()
    assert [c["operator_name"] for c in calls if c["id"] == logged.json()["id"]] == ["王芳"]
