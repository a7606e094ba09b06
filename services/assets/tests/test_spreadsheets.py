"""Importing the bureau's ledger from XLSX and CSV, all or nothing, and exporting it as XLSX."""

import io
import uuid

import asyncpg
import httpx
from openpyxl import Workbook, load_workbook

from opsdesk_shared.testing.workers import EventTap, eventually

from .conftest import Ledger

HEADER = [
    "资产编号",
    "设备类别",
    "设备名称",
    "安全分区",
    "所属系统",
    "单位编码",
    "地点",
    "机房",
    "机柜",
    "厂商",
    "型号",
    "序列号",
    "启用日期",
    "保修截止日期",
    "重要程度",
    "状态",
    "责任人",
]


def xlsx(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_for(code: str, prefix: str, n: int) -> list[list[object]]:
    return [
        [
            f"{prefix}-{i:04d}",
            "制证机" if i % 2 else "server",
            f"{i}号设备",
            "公安信息网",
            "居住证信息系统",
            code,
            "朝阳分局",
            "三楼机房",
            f"A-{i:02d}",
            "华视电子",
            "CP-500",
            f"SN{prefix}{i}",
            "2024-03-01",
            "2027/3/1",
            "重要",
            "在用",
            "王工",
        ]
        for i in range(1, n + 1)
    ]


async def ledger_state(ledger: Ledger, prefix: str) -> list[tuple]:
    conn = await asyncpg.connect(f"{ledger.env.servers.database_url}/{ledger.env.database_prefix}_assets")
    try:
        rows = await conn.fetch(
            "SELECT tag, version, updated_at, status FROM asset WHERE tag LIKE $1 ORDER BY tag", f"{prefix}-%"
        )
        outbox = await conn.fetchval(
            "SELECT count(*) FROM outbox_message WHERE envelope->'data'->>'tag' LIKE $1", f"{prefix}-%"
        )
    finally:
        await conn.close()
    return [tuple(r) for r in rows] + [("outbox", outbox)]


async def post_file(ledger: Ledger, content: bytes, name: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return await ledger.client.post(
        "/api/assets/import", files={"file": (name, content)}, headers=headers or ledger.as_("dispatcher")
    )


async def test_xlsx_import_registers_and_reimport_changes_nothing(ledger: Ledger) -> None:
    code = f"BJ-CY-{uuid.uuid4().hex[:4]}"
    await ledger.unit(code=code)
    prefix = f"JZZ{uuid.uuid4().hex[:4].upper()}"
    content = xlsx(rows_for(code, prefix, 12))
    async with EventTap(ledger.env.amqp_url, "asset.*") as tap:
        first = await post_file(ledger, content, "台帐.xlsx")
        assert first.status_code == 200, first.text
        assert first.json() == {"rows": 12, "created": 12, "updated": 0, "unchanged": 0}
        before = await ledger_state(ledger, prefix)

        again = await post_file(ledger, content, "台帐.xlsx")
        assert again.json() == {"rows": 12, "created": 0, "updated": 0, "unchanged": 12}
        assert await ledger_state(ledger, prefix) == before
        assert "opsdesk-audit-changes" not in again.headers  # nothing written, nothing to audit
        # The relay publishes after the commit: the twelve registrations arrive a moment later (a re-import's
        # events, had it made any, would have been published by then too: the relay keeps their order).
        await eventually(lambda: len([e for e in tap.received if e.data.get("tag", "").startswith(prefix)]) >= 12)
    listed = await ledger.client.get("/api/assets", params={"q": prefix, "limit": 100}, headers=ledger.admin)
    assert listed.json()["total"] == 12
    first_asset = next(a for a in listed.json()["items"] if a["tag"] == f"{prefix}-0001")
    assert (first_asset["asset_class"], first_asset["criticality"], first_asset["warranty_until"]) == (
        "card_printer",
        "important",
        "2027-03-01",
    )
    assert len([e for e in tap.received if e.data.get("tag", "").startswith(prefix)]) == 12  # registrations only


async def test_a_file_with_bad_rows_is_refused_whole_naming_each_row_and_field(ledger: Ledger) -> None:
    code = f"BJ-HD-{uuid.uuid4().hex[:4]}"
    await ledger.unit(code=code)
    prefix = f"JZZ{uuid.uuid4().hex[:4].upper()}"
    rows = rows_for(code, prefix, 6)
    rows[1][1] = "烤面包机"  # row 3: unknown class
    rows[3][5] = "NO-SUCH-UNIT"  # row 5: unknown unit
    rows[4][12] = "去年春天"  # row 6: not a date
    rows[5][0] = f"{prefix}-0001"  # row 7: the tag of row 2 again
    before = await ledger_state(ledger, prefix)
    resp = await post_file(ledger, xlsx(rows), "bad.xlsx")
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("application/problem+json")
    problem = resp.json()
    assert problem["field"] == "file" and problem["bad_rows"] == [3, 5, 6, 7]
    assert {(e["row"], e["field"]) for e in problem["errors"]} == {
        (3, "asset_class"),
        (5, "unit_code"),
        (6, "commissioned_on"),
        (7, "tag"),
    }
    assert await ledger_state(ledger, prefix) == before == [("outbox", 0)]


async def test_a_bad_row_among_changes_to_known_assets_changes_nothing(ledger: Ledger) -> None:
    code = f"BJ-DC-{uuid.uuid4().hex[:4]}"
    await ledger.unit(code=code)
    prefix = f"JZZ{uuid.uuid4().hex[:4].upper()}"
    rows = rows_for(code, prefix, 3)
    assert (await post_file(ledger, xlsx(rows), "a.xlsx")).status_code == 200
    before = await ledger_state(ledger, prefix)
    rows[0][8] = "Z-99"  # a change to a known asset…
    rows[1][15] = "外出(已审批)"  # …and two off site without an approval: refused, and the first not applied
    rows[2][15] = "外出(已审批)"
    resp = await post_file(ledger, xlsx(rows), "a.xlsx")
    assert resp.status_code == 422
    assert [(e["row"], e["field"]) for e in resp.json()["errors"]] == [(3, "approval_ref"), (4, "approval_ref")]
    assert await ledger_state(ledger, prefix) == before


async def test_csv_import_updates_what_differs_and_changes_status(ledger: Ledger) -> None:
    code = f"BJ-FT-{uuid.uuid4().hex[:4]}"
    await ledger.unit(code=code)
    prefix = f"JZZ{uuid.uuid4().hex[:4].upper()}"
    rows = rows_for(code, prefix, 3)

    def csv_bytes(encoding: str) -> bytes:
        lines = [",".join(HEADER)] + [",".join(str(c) for c in r) for r in rows]
        return ("\r\n".join(lines) + "\r\n").encode(encoding)

    assert (await post_file(ledger, csv_bytes("utf-8-sig"), "台帐.csv")).json()["created"] == 3
    rows[0][10] = "CP-600"
    rows[2][15] = "故障停用"
    # Excel in China saves CSV as GB18030.
    second = await post_file(ledger, csv_bytes("gb18030"), "台帐.csv")
    assert second.status_code == 200, second.text
    assert second.json() == {"rows": 3, "created": 0, "updated": 2, "unchanged": 1}
    faulty = await ledger.client.get("/api/assets", params={"q": prefix, "status": "faulty"}, headers=ledger.admin)
    assert [a["tag"] for a in faulty.json()["items"]] == [f"{prefix}-0003"]


async def test_unknown_columns_and_non_spreadsheets_are_refused(ledger: Ledger) -> None:
    resp = await post_file(ledger, xlsx([], header=[*HEADER, "颜色"]), "x.xlsx")
    assert resp.status_code == 422 and resp.json()["errors"][0] == {
        "row": 1,
        "field": "颜色",
        "message": resp.json()["errors"][0]["message"],
    }
    assert (await post_file(ledger, b"not a zip", "x.xlsx")).json()["field"] == "file"
    assert (await post_file(ledger, b"a,b", "x.txt")).json()["field"] == "file"
    engineer = await post_file(ledger, xlsx([]), "x.xlsx", headers=ledger.as_("engineer"))
    assert engineer.status_code == 403


async def test_export_is_a_workbook_that_imports_back_unchanged(ledger: Ledger) -> None:
    code = f"BJ-TZ-{uuid.uuid4().hex[:4]}"
    [unit] = await ledger.unit(code=code)
    prefix = f"JZZ{uuid.uuid4().hex[:4].upper()}"
    assert (await post_file(ledger, xlsx(rows_for(code, prefix, 4)), "a.xlsx")).status_code == 200
    exported = await ledger.client.get("/api/assets/export", params={"unit_id": str(unit)}, headers=ledger.admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(exported.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "资产编号" and len(values) == 5
    assert values[1][:2] == (f"{prefix}-0001", "制证机")
    back = await post_file(ledger, exported.content, "导出.xlsx")
    assert back.json() == {"rows": 4, "created": 0, "updated": 0, "unchanged": 4}
