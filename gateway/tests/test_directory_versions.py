"""Every user.* and unit.* event carries its user's (unit's) version, one more per change, so consumers
keep the newest whatever order the events arrive in; re-announcing the directory repeats the current one."""

import json
import uuid

import asyncpg
import httpx

from gateway.admin import service
from gateway.config import GatewaySettings
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _versions(env: RunEnvironment, kind: str, value: str) -> list[tuple[str, int]]:
    """The outboxed `<kind>.*` events of one user or unit: (type, version), in the order written."""
    conn = await asyncpg.connect(f"{env.servers.database_url}/{env.database_prefix}_gateway")
    try:
        rows = await conn.fetch(
            "SELECT envelope FROM outbox_message WHERE type LIKE $1 AND envelope->'data'->>$2 = $3 ORDER BY seq",
            f"{kind}.%",
            f"{kind}_id",
            value,
        )
    finally:
        await conn.close()
    return [(e["type"], e["data"]["aggregate_version"]) for e in (json.loads(r["envelope"]) for r in rows)]


async def test_user_and_unit_events_carry_the_version_of_their_change(
    client: httpx.AsyncClient, admin_token: str, migrated: RunEnvironment
) -> None:
    unit = await client.post(
        "/api/admin/units",
        headers=bearer(admin_token),
        json={"code": f"V{uuid.uuid4().hex[:6]}", "name": "测试派出所", "kind": "police_station"},
    )
    assert unit.status_code == 201, unit.text
    created = await client.post(
        "/api/admin/users",
        headers=bearer(admin_token),
        json={
            "username": f"v{uuid.uuid4().hex[:10]}",
            "password": "Right-passw0rd",
            "display_name": "王工",
            "phone": "13900139000",
            "roles": ["engineer"],
            "unit_id": unit.json()["id"],
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    for change in ({"display_name": "王工程师"}, {"is_active": False}):
        resp = await client.patch(f"/api/admin/users/{user_id}", headers=bearer(admin_token), json=change)
        assert resp.status_code == 200, resp.text
    settings = migrated.settings(GatewaySettings)
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session, session.begin():
            await service.announce_directory(session)  # what every bootstrap does
    finally:
        await engine.dispose()
    assert await _versions(migrated, "user", user_id) == [
        ("user.created", 1),
        ("user.updated", 2),
        ("user.updated", 3),
        ("user.updated", 3),  # re-announced as it stands: consumers holding 3 ignore it
    ]
    assert await _versions(migrated, "unit", unit.json()["id"]) == [("unit.created", 1), ("unit.updated", 1)]
