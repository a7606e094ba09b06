"""The equipment ledger on the running system, through the gateway: the bureau's spreadsheet imported (a bad
file changing nothing, the same file twice changing nothing), scoped for requesters, exported, its technical
ledger kept by an engineer, and every write in the audit log."""

import csv
import io
import uuid

import httpx
from openpyxl import load_workbook

from tests.conftest import Stack
from tests.e2e.test_walking_skeleton import wait_for

HEADER = ["资产编号", "设备类别", "设备名称", "安全分区", "所属系统", "单位编码", "地点", "机房", "状态"]


def sheet(prefix: str, rows: list[tuple[str, str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for n, (cls, unit, status) in enumerate(rows, start=1):
        writer.writerow(
            [f"{prefix}-{n:03d}", cls, f"{n}号设备", "公安信息网", "居住证信息系统", unit, "现场", "机房", status]
        )
    return buffer.getvalue().encode("utf-8-sig")


def test_the_ledger_imported_scoped_exported_and_audited(stack: Stack) -> None:
    client = stack.client()
    dispatcher = {"Authorization": f"Bearer {stack.token('dispatcher')}"}
    prefix = f"E2E{uuid.uuid4().hex[:4].upper()}"
    rows = [("制证机", "BJ-CY-WJ", "在用"), ("身份证读卡器", "BJ-CY-WJ", "在用"), ("服务器", "BJ-HD-ZGC", "在用")]

    def upload(content: bytes) -> httpx.Response:
        return client.post(
            "/api/assets/import", files={"file": ("台帐.csv", content, "text/csv")}, headers=dispatcher, timeout=30
        )

    # A row naming a class nobody knows: refused whole, nothing registered. (Until the assets service has heard
    # of the demo units from the gateway's events, the rows naming them are refused too.)
    def refused() -> httpx.Response | None:
        resp = upload(sheet(prefix, [*rows, ("烤面包机", "BJ-CY-WJ", "在用")]))
        assert resp.status_code == 422 and resp.headers["content-type"].startswith("application/problem+json")
        return None if any(e["field"] == "unit_code" for e in resp.json()["errors"]) else resp

    # On two busy cores the system's first events can take a while to go round.
    bad = wait_for("the assets service to know the demo units", refused, timeout=90)
    assert [(e["row"], e["field"]) for e in bad.json()["errors"]] == [(5, "asset_class")]
    listed = client.get("/api/assets", params={"q": prefix}, headers=dispatcher).json()
    assert listed["total"] == 0

    first = upload(sheet(prefix, rows))
    assert first.json() == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0}, first.text
    again = upload(sheet(prefix, rows))
    assert again.json() == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3}

    # The requester of 望京派出所 sees the station's two, not 中关村's.
    requester = {"Authorization": f"Bearer {stack.token('requester')}"}
    mine = client.get("/api/assets", params={"q": prefix}, headers=requester).json()
    assert sorted(a["tag"] for a in mine["items"]) == [f"{prefix}-001", f"{prefix}-002"]
    server = client.get(f"/api/assets/by-tag/{prefix}-003", headers=dispatcher).json()
    assert client.get(f"/api/assets/{server['id']}", headers=requester).status_code == 404

    # An engineer keeps the technical ledger but cannot change the asset.
    engineer = {"Authorization": f"Bearer {stack.token('engineer')}"}
    recorded = client.post(
        f"/api/assets/{server['id']}/technical",
        json={"facts": {"ip_address": "10.8.0.21", "os_version": "麒麟 V10 SP3"}, "reason": "巡检登记"},
        headers=engineer,
    )
    assert recorded.status_code == 200 and recorded.json()["recorded"] == 2
    assert client.patch(f"/api/assets/{server['id']}", json={"rack": "Z"}, headers=engineer).status_code == 403

    exported = client.get("/api/assets/export", params={"q": prefix}, headers=dispatcher)
    assert exported.status_code == 200
    values = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert [v[0] for v in values[1:]] == [f"{prefix}-001", f"{prefix}-002", f"{prefix}-003"]

    auditor = {"Authorization": f"Bearer {stack.token('auditor')}"}
    imports = client.get(
        "/api/admin/audit-log", params={"action": "assets.import", "actor": "dispatcher"}, headers=auditor
    )
    entries = imports.json()["items"]
    outcomes = [(e["status"], bool(e["changes"])) for e in entries[:3]]
    # Newest first: the unchanged re-import (no changes), the import (rows written), the refused file.
    assert outcomes == [(200, False), (200, True), (422, False)], outcomes
    technical = client.get("/api/admin/audit-log", params={"action": "assets.technical"}, headers=auditor).json()
    technical = technical["items"]
    assert technical[0]["actor_name"] == "engineer" and technical[0]["changes"]
