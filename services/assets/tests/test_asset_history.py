"""The asset page's history and the fault analysis: tickets and work orders arrive as intake's and dispatch's
events (idempotently, in whatever order), joined to what the ledger, the technical ledger and the
inspections keep; requesters see their unit's subtree only. And the labels that open the page."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import asyncpg

from opsdesk_shared.contracts.dispatch import WorkOrderAssigned, WorkOrderResolved
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged
from opsdesk_shared.contracts.vocabulary import Category, Channel, Priority, TicketStatus
from opsdesk_shared.personal_data import SealedPhone
from opsdesk_shared.testing.workers import eventually, publish

from .conftest import Ledger
from .test_inspections import AIRCON_ITEMS, inspection_worker, plan, rounds_of, template


def filed(tag: str | None, unit_id: uuid.UUID, *, category: Category = Category.FAULT, **extra: Any) -> TicketCreated:
    ticket_id = uuid.uuid4()
    fields: dict[str, Any] = {
        "ticket_id": ticket_id,
        "number": f"T-{ticket_id.hex[:8]}",
        "title": "制证机卡纸",
        "category": category,
        "priority": Priority.P3,
        "status": TicketStatus.NEW,
        "unit_id": unit_id,
        "channel": Channel.HOTLINE,
        "requester_name": "张三",
        "requester_phone": SealedPhone("13800010005"),
        "created_at": datetime.now(UTC),
        "asset_tag": tag,
        "aggregate_version": 1,
        **extra,
    }
    return TicketCreated(**fields)


def status(ticket: TicketCreated, to: TicketStatus, version: int, at: datetime | None = None) -> TicketStatusChanged:
    return TicketStatusChanged(
        ticket_id=ticket.ticket_id,
        number=ticket.number,
        from_status=TicketStatus.NEW,
        to_status=to,
        changed_at=at or datetime.now(UTC),
        unit_id=ticket.unit_id,
        aggregate_version=version,
    )


async def history(ledger: Ledger, tag: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    resp = await ledger.client.get(f"/api/assets/by-tag/{tag}/history", headers=headers or ledger.admin)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def ticket_known(ledger: Ledger, ticket_id: uuid.UUID) -> bool:
    conn = await asyncpg.connect(f"{ledger.env.servers.database_url}/{ledger.env.database_prefix}_assets")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM ticket_copy WHERE ticket_id = $1", ticket_id))
    finally:
        await conn.close()


async def test_the_page_shows_the_assets_tickets_work_orders_and_changes(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit)
    tag = asset["tag"]
    ticket = filed(f"  {tag.lower()} ", unit)  # typed on a phone: the ledger's spelling is found all the same
    other = filed("JZZ-NOT-IN-LEDGER", unit)
    order_id, engineer = uuid.uuid4(), uuid.uuid4()
    at = datetime.now(UTC)
    common = {"work_order_id": order_id, "ticket_id": ticket.ticket_id, "engineer_id": engineer}
    await publish(
        ledger.env.amqp_url,
        ticket,
        other,
        WorkOrderAssigned(**common, status="assigned", engineer_name="工程师王", at=at),
        WorkOrderResolved(
            **common,
            status="resolved",
            engineer_name="工程师王",
            at=at + timedelta(minutes=40),
            remote=False,
            resolution_code="replaced_part",
            summary="更换搓纸轮",
            total_cost=Decimal("120.00"),
            cost_borne_by="vendor",
        ),
        status(ticket, TicketStatus.RESOLVED, 4, at + timedelta(minutes=41)),
    )
    status_change = await ledger.client.post(
        f"/api/assets/{asset['id']}/status", json={"status": "under_repair", "reason": "送修"}, headers=ledger.admin
    )
    assert status_change.status_code == 200, status_change.text
    technical = await ledger.client.post(
        f"/api/assets/{asset['id']}/technical",
        json={"facts": {"firmware": "V2.1"}, "reason": "升级固件"},
        headers=ledger.as_("engineer"),
    )
    assert technical.status_code == 200, technical.text

    async def resolved() -> dict[str, Any] | None:
        page = await history(ledger, tag)
        tickets = page["tickets"]
        done = tickets and tickets[0]["status"] == "resolved" and tickets[0]["work_orders"]
        return page if done and tickets[0]["work_orders"][0]["status"] == "resolved" else None

    page = await eventually(resolved)
    assert page["asset"]["tag"] == tag
    [shown] = page["tickets"]  # the ticket naming another tag is not this asset's
    assert shown["number"] == ticket.number and shown["channel"] == "hotline" and shown["resolved_at"]
    [order] = shown["work_orders"]
    assert order["engineer_name"] == "工程师王" and order["summary"] == "更换搓纸轮"
    assert order["assigned_at"] and order["resolved_at"]
    assert [c["to_status"] for c in page["asset"]["status_history"]] == ["in_service", "under_repair"]
    assert [(e["fact"], e["value"]) for e in page["technical"]] == [("firmware", "V2.1")]
    assert page["inspections"] == [] and page["findings"] == []

    missing = await ledger.client.get("/api/assets/by-tag/JZZ-NO-SUCH/history", headers=ledger.admin)
    assert missing.status_code == 404 and missing.json()["field"] == "tag"


async def test_replayed_and_overtaking_events_are_applied_once_in_order(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    asset = await ledger.register(unit)
    ticket = filed(asset["tag"], unit)
    # The ticket's later change arrives first; then its filing (older: its classification still fills in),
    # then the same filing again (a redelivery).
    [_, created] = await publish(ledger.env.amqp_url, status(ticket, TicketStatus.CLOSED, 5), ticket)
    await publish(ledger.env.amqp_url, created)
    marker = filed(None, unit)
    await publish(ledger.env.amqp_url, marker)
    await eventually(lambda: ticket_known(ledger, marker.ticket_id))

    async def filled() -> list[dict[str, Any]] | None:
        tickets = (await history(ledger, asset["tag"]))["tickets"]
        return tickets if tickets and tickets[0]["channel"] else None

    [shown] = await eventually(filled)
    assert shown["status"] == "closed" and shown["closed_at"]  # the newer version kept
    assert shown["title"] == "制证机卡纸" and shown["channel"] == "hotline" and shown["created_at"]


async def test_a_requester_sees_their_subtree_only(ledger: Ledger) -> None:
    bureau = await ledger.unit()
    station = await ledger.unit(bureau)
    neighbour = await ledger.unit(bureau)
    ours = await ledger.register(station[-1])
    theirs = await ledger.register(neighbour[-1])
    mine = filed(ours["tag"], station[-1])
    elsewhere = filed(ours["tag"], neighbour[-1])  # filed by the neighbour about our machine
    await publish(ledger.env.amqp_url, mine, elsewhere)
    await eventually(lambda: ticket_known(ledger, elsewhere.ticket_id))
    await eventually(lambda: ticket_known(ledger, mine.ticket_id))

    requester = ledger.as_("requester", unit_id=station[-1])
    page = await history(ledger, ours["tag"], requester)
    assert [t["number"] for t in page["tickets"]] == [mine.number]
    assert page["technical"] is None and page["inspections"] is None  # the vendor's business
    assert page["findings"] == []  # their subtree's findings they do see
    hidden = await ledger.client.get(f"/api/assets/by-tag/{theirs['tag']}/history", headers=requester)
    assert hidden.status_code == 404
    label = await ledger.client.get(f"/api/assets/by-tag/{theirs['tag']}/label", headers=requester)
    assert label.status_code == 404

    for role in ("engineer", "supervisor", "dispatcher"):
        staff = await history(ledger, ours["tag"], ledger.as_(role))
        assert {t["number"] for t in staff["tickets"]} == {mine.number, elsewhere.number}, role
        assert staff["inspections"] == [] and staff["technical"] == [], role
    nobody = await ledger.client.get(f"/api/assets/by-tag/{ours['tag']}/history", headers=ledger.as_("auditor"))
    assert nobody.status_code == 403


async def test_fault_analysis_counts_faults_per_class_and_the_assets_that_fail_most(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    site = f"分析站{uuid.uuid4().hex[:6]}"
    printer = await ledger.register(unit, site=site, asset_class="card_printer")
    reader = await ledger.register(unit, site=site, asset_class="id_card_reader")
    await ledger.register(unit, site=site, asset_class="id_card_reader")  # never failed
    old = datetime.now(UTC) - timedelta(days=200)
    tickets = [
        filed(printer["tag"], unit),
        filed(printer["tag"], unit),
        filed(printer["tag"], unit),
        filed(reader["tag"], unit),
        filed(reader["tag"], unit, category=Category.CONSULTATION),  # not a fault
        filed(reader["tag"], unit, created_at=old),  # before the period
    ]
    cancelled = filed(reader["tag"], unit)
    await publish(ledger.env.amqp_url, *tickets, cancelled, status(cancelled, TicketStatus.CANCELLED, 2))
    await publish(ledger.env.amqp_url, status(tickets[0], TicketStatus.RESOLVED, 3))

    async def analysed() -> dict[str, Any] | None:
        resp = await ledger.client.get("/api/assets/faults", params={"site": site}, headers=ledger.admin)
        assert resp.status_code == 200, resp.text
        body = dict(resp.json())
        top = body["top_assets"]
        settled = body["faults"] == 4 and top and top[0]["open_faults"] == 2
        return body if settled else None

    body = await eventually(analysed)
    per_class = {c["asset_class"]: (c["faults"], c["assets_failed"]) for c in body["per_class"]}
    assert per_class == {"card_printer": (3, 1), "id_card_reader": (1, 1)}
    assert [c["assets"] for c in body["per_class"]] == [1, 2]  # the class's assets at this site
    assert [(a["tag"], a["faults"]) for a in body["top_assets"]] == [(printer["tag"], 3), (reader["tag"], 1)]

    year = await ledger.client.get(
        "/api/assets/faults",
        params={"site": site, "since": (old - timedelta(days=1)).isoformat()},
        headers=ledger.admin,
    )
    assert year.json()["faults"] == 5  # the old one counts in a longer period

    backwards = await ledger.client.get(
        "/api/assets/faults",
        params={"since": datetime.now(UTC).isoformat(), "until": old.isoformat()},
        headers=ledger.admin,
    )
    assert backwards.status_code == 422
    requester = await ledger.client.get(
        "/api/assets/faults", params={"site": site}, headers=ledger.as_("requester", unit_id=uuid.uuid4())
    )
    assert requester.status_code == 200 and requester.json()["faults"] == 0  # none of it is theirs


async def test_labels_are_pdfs_one_asset_or_a_sheet_per_site(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    site = f"标签站{uuid.uuid4().hex[:6]}"
    assets = [await ledger.register(unit, site=site) for _ in range(25)]
    one = await ledger.client.get(f"/api/assets/by-tag/{assets[0]['tag']}/label", headers=ledger.as_("engineer"))
    assert one.status_code == 200 and one.headers["content-type"] == "application/pdf"
    assert one.content.startswith(b"%PDF") and one.content.count(b"/Type /Page\n") == 1
    assert "inline" in one.headers["content-disposition"]

    sheet = await ledger.client.get("/api/assets/labels", params={"site": site, "limit": 100}, headers=ledger.admin)
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    assert sheet.content.count(b"/Type /Page\n") == 2  # 25 labels: a full A4 sheet of 24 and one more
    one_sheet = await ledger.client.get("/api/assets/labels", params={"site": site}, headers=ledger.admin)
    assert one_sheet.content.count(b"/Type /Page\n") == 1  # unless asked for more: one sheet
    too_many = await ledger.client.get("/api/assets/labels", params={"limit": 5000}, headers=ledger.admin)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "limit"


async def test_a_tag_with_slashes_opens_its_asset_its_page_and_its_label(ledger: Ledger) -> None:
    """Tags may hold "/" (`JZZ/CY/0042`, as some of the bureau's ledgers write them): the by-tag routes take the
    whole rest of the path, encoded or not, and the label's QR code encodes it."""
    [unit] = await ledger.unit()
    tag = f"JZZ/CY/{uuid.uuid4().hex[:4].upper()}"
    await ledger.register(unit, tag=tag)
    for spelled in (tag, quote(tag, safe="")):
        found = await ledger.client.get(f"/api/assets/by-tag/{spelled}", headers=ledger.admin)
        assert found.status_code == 200 and found.json()["tag"] == tag, found.text
        page = await ledger.client.get(f"/api/assets/by-tag/{spelled}/history", headers=ledger.admin)
        assert page.status_code == 200 and page.json()["asset"]["tag"] == tag, page.text
        label = await ledger.client.get(f"/api/assets/by-tag/{spelled}/label", headers=ledger.admin)
        assert label.status_code == 200 and label.content.startswith(b"%PDF")
    missing = await ledger.client.get("/api/assets/by-tag/JZZ/NO/SUCH/history", headers=ledger.admin)
    assert missing.status_code == 404 and missing.json()["field"] == "tag"


async def test_the_page_shows_the_assets_inspections_and_findings(ledger: Ledger) -> None:
    [unit] = await ledger.unit()
    room = f"二号机房-{uuid.uuid4().hex[:4]}"
    aircon = await ledger.register(unit, asset_class="air_conditioner", name="精密空调", site="市局机房", room=room)
    await template(ledger, "air_conditioner", AIRCON_ITEMS)
    daily = await plan(ledger, rooms=[{"site": "市局机房", "room": room}])
    async with inspection_worker(ledger):
        [round_] = await eventually(lambda: rounds_of(ledger, daily["id"]))
    url = f"/api/inspections/rounds/{round_['id']}"
    engineer = ledger.as_("engineer", name="engineer-zhao")
    [stop] = (await ledger.client.get(url, headers=engineer)).json()["stops"]
    hot = {"results": {"room_temperature": 30, "humidity": 50, "alarm_lamps_off": True}, "note": "空调滤网脏"}
    assert (await ledger.client.put(f"{url}/stops/{stop['id']}", json=hot, headers=engineer)).status_code == 200

    page = await history(ledger, aircon["tag"], ledger.as_("supervisor"))
    [visit] = page["inspections"]
    assert (visit["round_id"], visit["plan_name"], visit["round_status"]) == (round_["id"], daily["name"], "open")
    assert (visit["items"], visit["abnormal_items"], visit["checked_by_name"]) == (3, 1, "engineer-zhao")
    assert visit["note"] == "空调滤网脏"
    [finding] = page["findings"]
    assert finding["item_key"] == "room_temperature" and finding["reading"] == 30
    requester = await history(ledger, aircon["tag"], ledger.as_("requester", unit_id=unit))
    assert [f["item_key"] for f in requester["findings"]] == ["room_temperature"] and requester["inspections"] is None


async def test_a_period_without_a_zone_is_the_bureaus_own(ledger: Ledger) -> None:
    for params in ({"since": "2026-11-01T00:00:00"}, {"since": "2026-11-01", "until": "2026-12-01T08:00:00"}):
        resp = await ledger.client.get("/api/assets/faults", params=params, headers=ledger.admin)
        assert resp.status_code == 200, resp.text
    assert resp.json()["since"].startswith("2026-11-01T00:00:00+08:00")
    bad = await ledger.client.get("/api/assets/faults", params={"since": "last week"}, headers=ledger.admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "since"
