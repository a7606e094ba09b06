"""Finding tickets (scope by role and unit subtree, filters, Chinese substring search, paging), filing
them safely (Idempotency-Key under concurrent retries, duplicate hints), and auto-closing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import asyncpg
import httpx
import pytest

from intake.config import IntakeSettings
from intake.tickets.autoclose import AutoCloser
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Ledger, Units


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(unit: uuid.UUID, **overrides: object) -> dict[str, object]:
    return {
        "title": "打印机卡纸",
        "description": "制证打印机卡纸",
        "category": "fault",
        "priority": "P3",
        "unit_id": str(unit),
        "requester_name": "王芳",
        "requester_phone": "13900139000",
        "channel": "hotline",
        **overrides,
    }


# a district, a station in it, its sibling, another district: each as its path from the root
Tree = tuple[list[uuid.UUID], list[uuid.UUID], list[uuid.UUID], list[uuid.UUID]]


@pytest.fixture(scope="module")
async def tree(units: Units) -> Tree:
    district = await units.add(kind="sub_bureau")
    station = await units.add(district)
    sibling = await units.add(district)
    elsewhere = await units.add(kind="sub_bureau")
    return district, station, sibling, elsewhere


async def test_scoping_for_every_role(intake_client: httpx.AsyncClient, migrated: RunEnvironment, tree: Tree) -> None:
    district, station, sibling, elsewhere = tree
    operator = auth(migrated.token("hotline_operator"))
    at_station = (await intake_client.post("/api/tickets", json=body(station[-1]), headers=operator)).json()
    at_sibling = (await intake_client.post("/api/tickets", json=body(sibling[-1]), headers=operator)).json()
    at_district = (await intake_client.post("/api/tickets", json=body(district[-1]), headers=operator)).json()

    def ids(resp: httpx.Response) -> set[str]:
        return {t["id"] for t in resp.json()["items"]}

    ours = {at_station["id"], at_sibling["id"], at_district["id"]}
    district_requester = auth(migrated.token("requester", unit_id=district[-1]))
    station_requester = auth(migrated.token("requester", unit_id=station[-1]))
    outsider = auth(migrated.token("requester", unit_id=elsewhere[-1]))
    listing: dict[str, str | int] = {"limit": 200, "unit_id": str(district[-1])}
    assert ids(await intake_client.get("/api/tickets", params=listing, headers=district_requester)) >= ours
    assert ids(await intake_client.get("/api/tickets", params={"limit": 200}, headers=station_requester)) & ours == {
        at_station["id"]
    }
    assert ids(await intake_client.get("/api/tickets", params={"limit": 200}, headers=outsider)) & ours == set()
    for role in ("hotline_operator", "dispatcher", "engineer", "supervisor", "admin"):
        seen = ids(await intake_client.get("/api/tickets", params=listing, headers=auth(migrated.token(role))))
        assert seen >= ours, role
    for role in ("auditor", "security_admin", "system"):
        headers = auth(migrated.token(role))
        assert ids(await intake_client.get("/api/tickets", params=listing, headers=headers)) == set(), role
        assert (await intake_client.get(f"/api/tickets/{at_station['id']}", headers=headers)).status_code == 404
    # Another unit's ticket does not exist for a requester; nor may they file for a unit outside their subtree.
    assert (await intake_client.get(f"/api/tickets/{at_sibling['id']}", headers=station_requester)).status_code == 404
    refused = await intake_client.post("/api/tickets", json=body(sibling[-1]), headers=station_requester)
    assert refused.status_code == 403 and refused.json()["field"] == "unit_id"
    allowed = await intake_client.post("/api/tickets", json=body(station[-1]), headers=district_requester)
    assert allowed.status_code == 201  # a sub-bureau files for its stations


async def test_chinese_substring_search_and_filters(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, tree: Tree, ledger: Ledger
) -> None:
    _, station, _, _ = tree
    operator = auth(migrated.token("hotline_operator"))
    marker = uuid.uuid4().hex[:6]
    await ledger.register(f"NET-{marker}", station[-1], asset_class="switch")
    reader = (
        await intake_client.post(
            "/api/tickets",
            headers=operator,
            json=body(
                station[-1], title=f"二代身份证读卡器无法识别 {marker}", priority="P1", channel="web", category="fault"
            ),
        )
    ).json()
    network = (
        await intake_client.post(
            "/api/tickets",
            headers=operator,
            json=body(
                station[-1],
                title=f"派出所内网无法访问居住证系统 {marker}",
                category="service_request",
                asset_tag=f"NET-{marker}",
            ),
        )
    ).json()

    async def search(**params: str | int | list[str]) -> set[str]:
        resp = await intake_client.get("/api/tickets", params={"limit": 200, **params}, headers=operator)
        assert resp.status_code == 200, resp.text
        return {t["id"] for t in resp.json()["items"]}

    assert await search(q="读卡器") >= {reader["id"]} and network["id"] not in await search(q="读卡器")
    assert reader["id"] in await search(q="读卡")  # two characters: still a substring match
    assert network["id"] in await search(q="居住证系统")
    assert network["id"] in await search(q=f"net-{marker}")  # asset tags, case-insensitively
    assert reader["id"] in await search(q=reader["number"])
    ours = {reader["id"], network["id"]}
    assert await search(q="%") & ours == set()  # LIKE wildcards are literal: '%' does not match everything
    assert await search(q=marker, priority="P1") & ours == {reader["id"]}
    assert await search(q=marker, category="service_request") & ours == {network["id"]}
    assert await search(q=marker, channel="web") & ours == {reader["id"]}
    assert await search(q=marker, status=["new", "pending"]) & ours == ours
    assert await search(q=marker, status="closed") & ours == set()
    now = datetime.now(UTC)
    assert await search(q=marker, **{"from": (now - timedelta(minutes=5)).isoformat()}) & ours == ours
    assert await search(q=marker, to=(now - timedelta(minutes=5)).isoformat()) & ours == set()
    sorted_page = await intake_client.get(
        "/api/tickets", headers=operator, params={"q": marker, "sort": "priority", "page": 1, "limit": 1}
    )
    assert sorted_page.json()["items"][0]["id"] == reader["id"] and sorted_page.json()["next_page"] == 2
    bad = await intake_client.get("/api/tickets", headers=operator, params={"status": "lost"})
    assert bad.status_code == 422 and bad.json()["field"] == "status"


async def test_a_create_retried_concurrently_with_one_key_makes_one_ticket(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, tree: Tree
) -> None:
    _, station, _, _ = tree
    operator = auth(migrated.token("hotline_operator", subject=uuid.uuid4()))
    key = {"Idempotency-Key": str(uuid.uuid4())}
    payload = body(station[-1], title="网络中断 (重试)")
    responses = await asyncio.gather(
        *(intake_client.post("/api/tickets", json=payload, headers={**operator, **key}) for _ in range(10))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
    changed = await intake_client.post("/api/tickets", json={**payload, "title": "别的"}, headers={**operator, **key})
    assert changed.status_code == 422 and changed.json()["field"] == "Idempotency-Key"
    conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_intake")
    try:
        count = await conn.fetchval("SELECT count(*) FROM ticket WHERE title = '网络中断 (重试)'")
        events = await conn.fetchval(
            "SELECT count(*) FROM outbox_message WHERE type = 'ticket.created' AND envelope->'data'->>'ticket_id' = $1",
            responses[0].json()["id"],
        )
    finally:
        await conn.close()
    assert count == 1 and events == 1


async def test_duplicate_hints_offer_open_tickets_of_the_same_unit_asset_or_caller(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, tree: Tree, ledger: Ledger
) -> None:
    _, _, sibling, _ = tree
    operator = auth(migrated.token("hotline_operator"))
    asset = f"PRN-{uuid.uuid4().hex[:6]}".upper()
    await ledger.register(asset, sibling[-1])
    first = (
        await intake_client.post(
            "/api/tickets", headers=operator, json=body(sibling[-1], asset_tag=asset, requester_phone="13712345678")
        )
    ).json()
    by_asset = await intake_client.get("/api/tickets/duplicates", params={"asset_tag": asset}, headers=operator)
    by_phone = await intake_client.get(
        "/api/tickets/duplicates", params={"requester_phone": "137 1234 5678"}, headers=operator
    )
    assert [t["id"] for t in by_asset.json()] == [first["id"]]
    assert first["id"] in [t["id"] for t in by_phone.json()]
    await intake_client.post(f"/api/tickets/{first['id']}/cancel", json={"reason": "重复"}, headers=operator)
    after = await intake_client.get("/api/tickets/duplicates", params={"asset_tag": asset}, headers=operator)
    assert after.json() == []  # only open tickets are offered
    nothing = await intake_client.get("/api/tickets/duplicates", headers=operator)
    assert nothing.status_code == 422


async def test_auto_close_after_the_quiet_period_once_with_two_workers(
    intake_client: httpx.AsyncClient, migrated: RunEnvironment, tree: Tree
) -> None:
    _, station, _, _ = tree
    operator = auth(migrated.token("hotline_operator"))
    tickets = []
    for _ in range(5):
        t = (await intake_client.post("/api/tickets", json=body(station[-1]), headers=operator)).json()
        await intake_client.post(
            f"/api/tickets/{t['id']}/resolve",
            headers=operator,
            json={"resolution_code": "guided_fix", "summary": "电话指导"},
        )
        tickets.append(t["id"])
    # An inspection ticket waits for the desk's confirmation instead (issue 16).
    inspection = (
        await intake_client.post("/api/tickets", json=body(station[-1], channel="inspection"), headers=operator)
    ).json()
    await intake_client.post(
        f"/api/tickets/{inspection['id']}/resolve",
        headers=operator,
        json={"resolution_code": "fixed", "summary": "已处理"},
    )
    await asyncio.sleep(1.2)
    engine = create_engine(migrated.settings(IntakeSettings))
    try:
        # A quiet period of one second stands in for 72 hours; two workers race over the same tickets.
        closers = [AutoCloser(session_factory(engine), quiet_hours=1 / 3600, interval_s=60) for _ in range(2)]
        await asyncio.gather(*(c.close_due() for c in closers))
    finally:
        await engine.dispose()
    for tid in tickets:
        ticket = (await intake_client.get(f"/api/tickets/{tid}", headers=operator)).json()
        assert ticket["status"] == "closed" and ticket["closed_at"]
        assert [e["kind"] for e in ticket["timeline"]].count("auto_close") == 1
    waiting = (await intake_client.get(f"/api/tickets/{inspection['id']}", headers=operator)).json()
    assert waiting["status"] == "resolved"
