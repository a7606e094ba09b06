"""Event order, both ways: every ticket event intake writes carries the ticket's version (so dispatch and the
others apply them in order), and intake keeps the newest version of the gateway's people and units however
their events arrive (an older one arriving last is recorded as stale and ignored)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

import asyncpg
import httpx

from opsdesk_shared.contracts.gateway import (
    UnitChanged,
    UnitCreated,
    UnitUpdated,
    UserChanged,
    UserCreated,
    UserUpdated,
)
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Units


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _outboxed(env: RunEnvironment, ticket_id: str) -> list[tuple[str, int]]:
    conn = await asyncpg.connect(f"{env.servers.database_url}/{env.database_prefix}_intake")
    try:
        rows = await conn.fetch(
            "SELECT envelope FROM outbox_message WHERE envelope->'data'->>'ticket_id' = $1 ORDER BY seq", ticket_id
        )
    finally:
        await conn.close()
    envelopes = [json.loads(r["envelope"]) for r in rows]
    return [(e["type"], e["data"].get("aggregate_version")) for e in envelopes]


async def test_every_ticket_event_carries_the_version_of_the_change_it_announces(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    [unit] = await units.add()
    operator = auth(migrated.token("hotline_operator"))
    body = {
        "title": "制证打印机卡纸",
        "description": "受理窗口制证打印机卡纸",
        "category": "fault",
        "priority": "P2",
        "unit_id": str(unit),
        "requester_name": "李强",
        "requester_phone": "13800138000",
        "channel": "hotline",
    }
    ticket = (await intake_client.post("/api/tickets", json=body, headers=operator)).json()
    tid = ticket["id"]
    steps = [
        ("pending", {"reason": "等待派出所提供设备序列号"}),
        ("resume", {}),
        ("comments", {"body": "已联系派出所", "public": True}),
        ("resolve", {"resolution_code": "guided_fix", "summary": "电话指导处理"}),
    ]
    for action, payload in steps:
        resp = await intake_client.post(f"/api/tickets/{tid}/{action}", json=payload, headers=operator)
        assert resp.status_code in (200, 201), resp.text
    assert await _outboxed(migrated, tid) == [
        ("ticket.created", 1),
        ("ticket.status_changed", 2),
        ("ticket.status_changed", 3),
        ("ticket.commented", 4),
        ("ticket.status_changed", 5),
        ("ticket.resolved", 5),  # one change, one version, whatever number of events announce it
    ]


async def test_a_users_older_update_arriving_last_does_not_bring_back_a_disabled_caller(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    user_id, phone = uuid.uuid4(), f"+86139{uuid.uuid4().int % 10**8:08d}"

    def user(cls: type[UserChanged], version: int, *, active: bool) -> UserChanged:
        return cls(
            user_id=user_id,
            username=f"req-{user_id.hex[:6]}",
            display_name="赵敏",
            phone=phone,
            roles=["requester"],
            unit_id=None,
            is_active=active,
            aggregate_version=version,
        )

    await publish(
        migrated.amqp_url,
        user(UserCreated, 1, active=True),
        user(UserUpdated, 3, active=False),  # the account disabled
        user(UserUpdated, 2, active=True),  # an edit before that, delivered late
    )
    assert await eventually(lambda: migrated.stale_events("intake", user_id)) == [("user.updated", 2, 3)]
    resp = await intake_client.get(f"/api/callers/{phone}", headers=auth(migrated.token("hotline_operator")))
    assert resp.status_code == 200 and resp.json()["known_users"] == []


async def test_a_units_older_move_arriving_last_does_not_undo_the_newer_one(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, units: Units
) -> None:
    old_parent, new_parent = (await units.add())[-1], (await units.add())[-1]
    unit_id = uuid.uuid4()

    def unit(cls: type[UnitChanged], version: int, parent: uuid.UUID) -> UnitChanged:
        return cls(
            unit_id=unit_id,
            code=f"U-{unit_id.hex[:6]}",
            name="测试派出所",
            kind="police_station",
            parent_id=parent,
            path=[parent, unit_id],
            aggregate_version=version,
        )

    await publish(migrated.amqp_url, unit(UnitCreated, 1, old_parent), unit(UnitUpdated, 3, new_parent))
    await publish(migrated.amqp_url, unit(UnitUpdated, 2, old_parent))
    assert await eventually(lambda: migrated.stale_events("intake", unit_id)) == [("unit.updated", 2, 3)]
    body = {
        "title": "读卡器无法识别",
        "description": "受理窗口读卡器无法识别身份证",
        "category": "fault",
        "unit_id": str(unit_id),
        "requester_name": "李强",
        "requester_phone": "13800138000",
        "channel": "hotline",
    }
    ticket = await intake_client.post("/api/tickets", json=body, headers=auth(migrated.token("hotline_operator")))
    tid = ticket.json()["id"]
    for parent, expected in ((new_parent, 200), (old_parent, 404)):
        token = migrated.token("requester", unit_id=parent)
        assert (await intake_client.get(f"/api/tickets/{tid}", headers=auth(token))).status_code == expected
