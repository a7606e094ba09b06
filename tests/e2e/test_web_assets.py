"""The equipment ledger's console (`/ui/assets`) in a real browser: the demo ledger listed and searched, a
spreadsheet with a bad row refused with the row and field named (nothing imported), a good one imported once
and then changing nothing, the ledger downloaded as XLSX, the page in English, and no import for engineers."""

import uuid
from pathlib import Path

import httpx
from playwright.sync_api import FilePayload, expect

from devstack import demo_ledger
from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import wait_for


def csv_file(name: str, rows: list[list[str]]) -> FilePayload:
    lines = [",".join(["资产编号", "设备类别", "设备名称", "安全分区", "所属系统", "单位编码", "地点"])]
    lines += [",".join(r) for r in rows]
    return {"name": name, "mimeType": "text/csv", "buffer": ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")}


def test_the_dispatcher_searches_imports_and_exports_the_ledger(stack: Stack, desks: OpenDesk) -> None:
    with httpx.Client(base_url=stack.url) as client:
        demo_ledger.import_ledger(
            client, lambda: stack.token("dispatcher"), lambda what, probe: wait_for(what, probe, timeout=90)
        )
    dispatcher = desks("dispatcher")
    dispatcher.login()
    page = dispatcher.goto("/ui/assets")
    expect(page.locator("nav").first).to_contain_text("设备台帐")
    total = int(page.locator("#asset-total").inner_text())
    assert total >= 40
    expect(page.locator("[data-asset=CC-SJ-001]")).to_contain_text("存储设备")
    dispatcher.shot("ledger")

    page.fill("#asset-filters [name=q]", "读卡器")
    page.locator("#asset-filters button[type=submit]").click()
    expect(page.locator("[data-asset=DKQ-LG1-003]")).to_be_visible()
    expect(page.locator("[data-asset=FWQ-SJ-001]")).to_have_count(0)
    dispatcher.shot("searched")

    prefix = f"UI{uuid.uuid4().hex[:4].upper()}"
    where = ["公安信息网", "居住证信息系统", "BJ-CY-WJ", "望京派出所"]
    good = [[f"{prefix}-1", "交换机", "接入交换机", *where], [f"{prefix}-2", "终端电脑", "受理终端", *where]]
    bad = [*good, [f"{prefix}-3", "烤面包机", "?", *where]]
    page.goto(stack.url + "/ui/assets")
    page.set_input_files("#asset-import-form [name=file]", csv_file("bad.csv", bad))
    page.locator("#asset-import-form button[type=submit]").click()
    expect(page.locator("#import-problems tr[data-row='4'][data-field=asset_class]")).to_be_visible()
    expect(page.locator("#asset-total")).to_have_text(str(total))  # nothing of the file imported
    dispatcher.shot("import-refused")

    page.set_input_files("#asset-import-form [name=file]", csv_file("good.csv", good))
    page.locator("#asset-import-form button[type=submit]").click()
    expect(page.locator("#import-result")).to_contain_text("新增 2")
    expect(page.locator("#asset-total")).to_have_text(str(total + 2))
    dispatcher.shot("imported")
    page.set_input_files("#asset-import-form [name=file]", csv_file("good.csv", good))
    page.locator("#asset-import-form button[type=submit]").click()
    expect(page.locator("#import-result")).to_contain_text("新增 0，更新 0，未变 2")

    with page.expect_download() as download:
        page.locator("#export-xlsx").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"PK\x03\x04") and len(content) > 1000

    page.locator("#lang-en").click()
    expect(page.locator("nav").first).to_contain_text("Equipment ledger")
    expect(page.locator("#asset-table thead")).to_contain_text("Asset tag")
    dispatcher.shot("english")
    page.locator("#lang-zh-CN").click()


def test_an_engineer_reads_the_ledger_but_has_no_import(stack: Stack, desks: OpenDesk) -> None:
    engineer = desks("engineer")
    engineer.login()
    page = engineer.goto("/ui/assets")
    expect(page.locator("#asset-table")).to_be_visible()
    expect(page.locator("#asset-import-form")).to_have_count(0)
    engineer.shot("ledger")
