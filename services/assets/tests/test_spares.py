"""Spare parts (备品备件) through HTTP on real PostgreSQL and RabbitMQ: the catalogue and stores, goods received,
parts issued to a work order (never beyond the stock, not even by issues at once), the stock-low announcement
to the project managers, the reconciliation of a resolved work order (once, however often its event comes),
the stock report, and who may do what."""

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from openpyxl import load_workbook

from opsdesk_shared.contracts.dispatch import PartUsed, WorkOrderAssigned, WorkOrderResolved
from opsdesk_shared.contracts.gateway import UserCreated
from opsdesk_shared.testing.workers import EventTap, eventually, publish

from .conftest import Ledger


def as_user(ledger: Ledger, role: str, subject: uuid.UUID | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {ledger.env.token(role, subject=subject, name=role)}"}


async def part(ledger: Ledger, **fields: Any) -> dict[str, Any]:
    body = {
        "part_number": f"HD-{uuid.uuid4().hex[:6]}",
        "name": "600G SAS硬盘",
        "asset_classes": ["server", "storage"],
        "unit_cost": "1200.00",
        **fields,
    }
    resp = await ledger.client.post("/api/spares/parts", json=body, headers=as_user(ledger, "project_manager"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def store(ledger: Ledger) -> dict[str, Any]:
    code = f"S-{uuid.uuid4().hex[:6]}"
    body = {"code": code, "name": f"市局备件库{code}", "site": "市局机房"}
    resp = await ledger.client.post("/api/spares/stores", json=body, headers=ledger.as_("dispatcher"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def receive(ledger: Ledger, part_number: str, store_id: str, quantity: int) -> dict[str, Any]:
    body = {"part_number": part_number, "store_id": store_id, "quantity": quantity, "reference": "送货单-001"}
    resp = await ledger.client.post("/api/spares/receipts", json=body, headers=ledger.as_("dispatcher"))
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def on_hand(ledger: Ledger, part_id: str, store_id: str) -> int:
    resp = await ledger.client.get(
        "/api/spares/stock", params={"part_id": part_id, "store_id": store_id}, headers=ledger.as_("supervisor")
    )
    assert resp.status_code == 200, resp.text
    return int(resp.json()[0]["on_hand"]) if resp.json() else 0


async def work_order(ledger: Ledger, engineer_id: uuid.UUID) -> WorkOrderAssigned:
    """A work order assigned in dispatch, known to assets once this returns (as in production: by its event)."""
    order = WorkOrderAssigned(
        work_order_id=uuid.uuid4(),
        ticket_id=uuid.uuid4(),
        ticket_number=f"20261207-{uuid.uuid4().int % 10000:04d}",
        status="assigned",
        engineer_id=engineer_id,
        engineer_name="张工",
        at=datetime.now(UTC),
    )
    await publish(ledger.env.amqp_url, order)
    await eventually(lambda: _known(ledger, order.work_order_id))
    return order


async def _known(ledger: Ledger, work_order_id: uuid.UUID) -> bool:
    conn = await asyncpg.connect(f"{ledger.env.servers.database_url}/{ledger.env.database_prefix}_assets")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM spare_work_order WHERE work_order_id = $1", work_order_id))
    finally:
        await conn.close()


def issue_body(part_number: str, store_id: str, quantity: int, order: WorkOrderAssigned) -> dict[str, Any]:
    return {
        "part_number": part_number,
        "store_id": store_id,
        "quantity": quantity,
        "work_order_id": str(order.work_order_id),
    }


async def test_goods_received_are_stock_per_store_and_part_numbers_are_unique(ledger: Ledger) -> None:
    disk, main = await part(ledger, part_number=f"hd-{uuid.uuid4().hex[:6]}"), await store(ledger)
    assert disk["part_number"] == disk["part_number"].upper()
    assert disk["on_hand"] == 0 and disk["low"] is False  # no minimum: never low
    receipt = await receive(ledger, disk["part_number"].lower(), main["id"], 4)
    assert receipt["kind"] == "received" and receipt["on_hand_after"] == 4 and receipt["actor_name"] == "tester"
    await receive(ledger, disk["part_number"], main["id"], 2)
    assert await on_hand(ledger, disk["id"], main["id"]) == 6

    again = await ledger.client.post(
        "/api/spares/parts",
        json={"part_number": disk["part_number"], "name": "重复", "unit_cost": "1"},
        headers=ledger.as_("admin"),
    )
    assert again.status_code == 409 and again.json()["field"] == "part_number"
    unknown = await ledger.client.post(
        "/api/spares/receipts",
        json={"part_number": "NO-SUCH-PART", "store_id": main["id"], "quantity": 1},
        headers=ledger.as_("admin"),
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "part_number"
    bad_class = await ledger.client.post(
        "/api/spares/parts",
        json={"part_number": "X-1", "name": "x", "unit_cost": "1", "asset_classes": ["toaster"]},
        headers=ledger.as_("admin"),
    )
    assert bad_class.status_code == 422 and "asset_classes" in bad_class.text


async def test_an_issue_beyond_the_stock_is_refused_naming_quantity_and_changes_nothing(ledger: Ledger) -> None:
    disk, main = await part(ledger), await store(ledger)
    await receive(ledger, disk["part_number"], main["id"], 2)
    order = await work_order(ledger, uuid.uuid4())
    resp = await ledger.client.post(
        "/api/spares/issues", json=issue_body(disk["part_number"], main["id"], 3, order), headers=ledger.admin
    )
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["field"] == "quantity" and resp.json()["on_hand"] == 2
    assert await on_hand(ledger, disk["id"], main["id"]) == 2
    moved = await ledger.client.get(
        "/api/spares/movements", params={"work_order_id": str(order.work_order_id)}, headers=ledger.admin
    )
    assert moved.json() == []
    negative = await ledger.client.post(
        "/api/spares/issues", json=issue_body(disk["part_number"], main["id"], -1, order), headers=ledger.admin
    )
    assert negative.status_code == 422 and "quantity" in negative.text


async def test_issues_at_once_cannot_overdraw_the_stock(ledger: Ledger) -> None:
    disk, main = await part(ledger), await store(ledger)
    await receive(ledger, disk["part_number"], main["id"], 5)
    order = await work_order(ledger, uuid.uuid4())
    answers = await asyncio.gather(
        *(
            ledger.client.post(
                "/api/spares/issues", json=issue_body(disk["part_number"], main["id"], 1, order), headers=ledger.admin
            )
            for _ in range(8)
        )
    )
    assert sorted(a.status_code for a in answers) == [201] * 5 + [422] * 3
    assert await on_hand(ledger, disk["id"], main["id"]) == 0


async def test_engineers_issue_to_their_own_work_orders_only(ledger: Ledger) -> None:
    disk, main = await part(ledger), await store(ledger)
    await receive(ledger, disk["part_number"], main["id"], 3)
    me, colleague = uuid.uuid4(), uuid.uuid4()
    mine, theirs = await work_order(ledger, me), await work_order(ledger, colleague)
    engineer = as_user(ledger, "engineer", me)
    by_number = {
        "part_number": disk["part_number"],
        "store_id": main["id"],
        "quantity": 1,
        "ticket_number": mine.ticket_number,
    }
    ok = await ledger.client.post("/api/spares/issues", json=by_number, headers=engineer)
    assert ok.status_code == 201, ok.text
    assert ok.json()["work_order_id"] == str(mine.work_order_id)
    refused = await ledger.client.post(
        "/api/spares/issues", json=issue_body(disk["part_number"], main["id"], 1, theirs), headers=engineer
    )
    assert refused.status_code == 403, refused.text
    unknown = await ledger.client.post(
        "/api/spares/issues",
        json={**issue_body(disk["part_number"], main["id"], 1, mine), "work_order_id": str(uuid.uuid4())},
        headers=ledger.admin,
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "work_order_id"
    assert "retry" in unknown.json()["detail"]
    assert await on_hand(ledger, disk["id"], main["id"]) == 2


async def test_who_may_do_what(ledger: Ledger) -> None:
    main = await store(ledger)
    new_part = {"part_number": f"P-{uuid.uuid4().hex[:6]}", "name": "色带", "unit_cost": "80"}
    for role in ("engineer", "supervisor", "requester", "hotline_operator", "auditor"):
        resp = await ledger.client.post("/api/spares/parts", json=new_part, headers=as_user(ledger, role))
        assert resp.status_code == 403, role
    for role in ("admin", "dispatcher", "project_manager", "engineer", "supervisor"):
        resp = await ledger.client.get("/api/spares/stock", headers=as_user(ledger, role))
        assert resp.status_code == 200, role
    for role in ("requester", "hotline_operator", "auditor"):
        resp = await ledger.client.get("/api/spares/stock", headers=as_user(ledger, role))
        assert resp.status_code == 403, role
    receipt = {"part_number": "ANY", "store_id": main["id"], "quantity": 1}
    for role in ("engineer", "supervisor"):
        resp = await ledger.client.post("/api/spares/receipts", json=receipt, headers=as_user(ledger, role))
        assert resp.status_code == 403, role
    report = await ledger.client.get("/api/spares/report", headers=as_user(ledger, "engineer"))
    assert report.status_code == 403


async def test_crossing_below_the_minimum_tells_the_project_managers_once(ledger: Ledger) -> None:
    manager = uuid.uuid4()
    await publish(
        ledger.env.amqp_url,
        UserCreated(
            user_id=manager,
            username=f"pm-{manager.hex[:6]}",
            display_name="李经理",
            phone="+8613900001234",
            roles=["project_manager"],
            unit_id=None,
            is_active=True,
            aggregate_version=1,
        ),
    )
    ribbon, main = await part(ledger, name="制证机彩色色带", minimum_stock=2), await store(ledger)
    assert ribbon["low"] is True  # nothing received yet
    await receive(ledger, ribbon["part_number"], main["id"], 3)
    order = await work_order(ledger, uuid.uuid4())
    async with EventTap(ledger.env.amqp_url, "spares.stock_low") as tap:
        first = await ledger.client.post(
            "/api/spares/issues", json=issue_body(ribbon["part_number"], main["id"], 1, order), headers=ledger.admin
        )
        assert first.json()["stock_low"] is False  # 2 left: at the minimum is enough
        crossing = await ledger.client.post(
            "/api/spares/issues", json=issue_body(ribbon["part_number"], main["id"], 1, order), headers=ledger.admin
        )
        assert crossing.json()["stock_low"] is True
        [low] = await eventually(lambda: tap.of("spares.stock_low", part_number=ribbon["part_number"]))
        assert (low.data["on_hand"], low.data["minimum"], low.data["store_id"]) == (1, 2, main["id"])
        # Every active project manager (other tests' too, in this shared database), this one once.
        assert [r["user_id"] for r in low.data["recipients"]].count(str(manager)) == 1
        assert {r["reason"] for r in low.data["recipients"]} == {"project_manager"}
        still = await ledger.client.post(
            "/api/spares/issues", json=issue_body(ribbon["part_number"], main["id"], 1, order), headers=ledger.admin
        )
        assert still.json()["stock_low"] is False  # announced once per crossing
    listed = await ledger.client.get("/api/spares/parts", params={"low": "true"}, headers=ledger.as_("supervisor"))
    assert ribbon["id"] in [p["id"] for p in listed.json()]


async def resolved(order: WorkOrderAssigned, parts: list[PartUsed]) -> WorkOrderResolved:
    return WorkOrderResolved(
        **order.model_dump(exclude={"status", "at", "expected_arrival_at", "unit_name", "location"}),
        status="resolved",
        at=datetime.now(UTC),
        remote=False,
        resolution_code="replaced_part",
        summary="更换硬盘",
        total_cost=Decimal("0"),
        cost_borne_by="vendor",
        parts=parts,
    )


async def test_a_resolved_work_order_is_reconciled_once(ledger: Ledger) -> None:
    disk, psu, main = await part(ledger), await part(ledger, name="550W电源"), await store(ledger)
    await receive(ledger, disk["part_number"], main["id"], 5)
    order = await work_order(ledger, uuid.uuid4())
    issued = await ledger.client.post(
        "/api/spares/issues", json=issue_body(disk["part_number"], main["id"], 2, order), headers=ledger.admin
    )
    assert issued.status_code == 201 and await on_hand(ledger, disk["id"], main["id"]) == 3

    event = await resolved(
        order,
        [
            PartUsed(part_number=disk["part_number"], name="硬盘", quantity=1, unit_cost=Decimal("1200")),
            PartUsed(part_number=psu["part_number"], name="电源", quantity=1, unit_cost=Decimal("300")),
            PartUsed(name="网线", quantity=2, unit_cost=Decimal("10")),
        ],
    )
    [envelope] = await publish(ledger.env.amqp_url, event)

    async def lines() -> list[dict[str, Any]]:
        resp = await ledger.client.get(
            "/api/spares/reconciliations", params={"work_order_id": str(order.work_order_id)}, headers=ledger.admin
        )
        return list(resp.json())

    found = {line["name"]: line for line in await eventually(lines)}
    disk_line, psu_line, cable = found[disk["name"]], found[psu["name"]], found["网线"]
    assert (disk_line["outcome"], disk_line["used"], disk_line["issued"], disk_line["returned"]) == (
        "returned",
        1,
        2,
        1,
    )
    assert (psu_line["outcome"], psu_line["unissued"], psu_line["flagged"]) == ("used_not_issued", 1, True)
    assert (cable["outcome"], cable["flagged"]) == ("uncatalogued", False)
    assert await on_hand(ledger, disk["id"], main["id"]) == 4  # the unused one is back

    # The same event again (a redelivery), and then another resolution event of the same work order: one effect.
    [_, later] = await publish(ledger.env.amqp_url, envelope, await resolved(order, []))
    closed = await ledger.client.post(
        "/api/spares/issues", json=issue_body(disk["part_number"], main["id"], 1, order), headers=ledger.admin
    )
    assert closed.status_code == 409  # the work order's resolution reached assets: its parts are settled
    await eventually(lambda: _inbox_has(ledger, later.id))
    assert len(await lines()) == 3
    assert await on_hand(ledger, disk["id"], main["id"]) == 4
    flagged = await ledger.client.get("/api/spares/reconciliations", params={"flagged": "true"}, headers=ledger.admin)
    assert psu_line["id"] in [line["id"] for line in flagged.json()]
    seen = await ledger.client.get(f"/api/spares/work-orders/{order.work_order_id}", headers=ledger.as_("supervisor"))
    assert seen.status_code == 200 and seen.json()["status"] == "resolved" and seen.json()["reconciled_at"]
    assert sorted((m["kind"], m["quantity"]) for m in seen.json()["movements"]) == [("issued", 2), ("returned", 1)]
    assert len(seen.json()["reconciliation"]) == 3
    unknown = await ledger.client.get(f"/api/spares/work-orders/{uuid.uuid4()}", headers=ledger.admin)
    assert unknown.status_code == 404 and unknown.json()["code"] == "spares.unknown_work_order"


async def _inbox_has(ledger: Ledger, event_id: uuid.UUID) -> bool:
    conn = await asyncpg.connect(f"{ledger.env.servers.database_url}/{ledger.env.database_prefix}_assets")
    try:
        return bool(await conn.fetchval("SELECT count(*) FROM inbox_message WHERE message_id = $1", event_id))
    finally:
        await conn.close()


async def test_the_stock_report_as_json_xlsx_csv_and_pdf(ledger: Ledger) -> None:
    disk, main = await part(ledger, minimum_stock=3), await store(ledger)
    trap = await part(ledger, name='=HYPERLINK("http://x")风扇')  # typed by a keeper: must not open as a formula
    await receive(ledger, disk["part_number"], main["id"], 2)
    await receive(ledger, trap["part_number"], main["id"], 1)
    resp = await ledger.client.get("/api/spares/report", headers=ledger.as_("supervisor"))
    assert resp.status_code == 200, resp.text
    [row] = [r for r in resp.json()["rows"] if r["part_number"] == disk["part_number"]]
    assert (row["on_hand"], row["minimum_stock"], row["low"], row["received"], row["issued"]) == (2, 3, True, 2, 0)
    sheet = await ledger.client.get("/api/spares/report", params={"format": "xlsx"}, headers=ledger.as_("supervisor"))
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.sheetnames == ["封面 Cover", "库存及期间出入库", "核对异常"]  # the shared layout: a sheet per table
    [low] = [r for r in book["库存及期间出入库"].iter_rows(min_row=5) if r[0].value == disk["part_number"]]
    assert [c.value for c in low[4:8]] == [2, 2, 3, "是 yes"] and low[0].fill.fgColor.rgb.endswith("FDE2E1")

    csv_file = await ledger.client.get("/api/spares/report", params={"format": "csv"}, headers=ledger.as_("supervisor"))
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.content.startswith("\ufeff".encode()) and "spares_" in csv_file.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[0] == ["备品备件报表 Spare-parts report"] and ["核对异常 Flagged reconciliations"] in rows
    [line] = [r for r in rows if r and r[0] == disk["part_number"]]
    assert line[4:11] == ["2", "2", "3", "是 yes", "2", "0", "0"]  # on hand, total, minimum, low, moved
    [trapped] = [r for r in rows if r and r[0] == trap["part_number"]]
    assert trapped[1] == "'" + trap["name"]
    pdf = await ledger.client.get("/api/spares/report", params={"format": "pdf"}, headers=ledger.as_("project_manager"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and b"/FontFile2" in pdf.content  # the Chinese font embedded
    backwards = await ledger.client.get(
        "/api/spares/report", params={"from": "2026-12-07", "to": "2026-12-01"}, headers=ledger.admin
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "from"
    for name, day in (("to", "9999-12-31"), ("from", "0001-01-01")):  # days without instants in Asia/Shanghai
        far = await ledger.client.get("/api/spares/report", params={name: day}, headers=ledger.admin)
        assert far.status_code == 422 and far.json()["field"] == name, far.text


async def test_a_minimum_raised_above_the_stock_is_a_crossing_too(ledger: Ledger) -> None:
    ribbon, main = await part(ledger), await store(ledger)
    await receive(ledger, ribbon["part_number"], main["id"], 2)
    keeper = as_user(ledger, "project_manager")
    async with EventTap(ledger.env.amqp_url, "spares.stock_low") as tap:
        raised = await ledger.client.patch(
            f"/api/spares/parts/{ribbon['id']}", json={"minimum_stock": 5}, headers=keeper
        )
        assert raised.status_code == 200, raised.text
        assert (raised.json()["low"], raised.json()["version"]) == (True, 2)
        [low] = await eventually(lambda: tap.of("spares.stock_low", part_number=ribbon["part_number"]))
        assert (low.data["on_hand"], low.data["minimum"], low.data["store_id"]) == (2, 5, None)
    emptied = await ledger.client.patch(f"/api/spares/parts/{ribbon['id']}", json={"name": None}, headers=keeper)
    assert emptied.status_code == 422 and emptied.json()["field"] == "name"
    negative = await ledger.client.patch(
        f"/api/spares/parts/{ribbon['id']}", json={"minimum_stock": -1}, headers=keeper
    )
    assert negative.status_code == 422 and "minimum_stock" in negative.text
