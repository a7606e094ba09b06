"""The engineer's phone view of today's rounds (`/ui/inspections`) on the real processes: a daily plan's round
made by the assets worker, walked on a phone asset by asset, a reading that is not a number refused beside
its item, an abnormal reading raising a finding, the round completed; the page in English."""

import uuid
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import wait_for

UPS_ITEMS = [
    {"key": "ups_load", "label": "UPS负载", "kind": "reading", "unit": "%", "low": 0, "high": 80},
    {"key": "alarm_lamps_off", "label": "告警灯未亮", "kind": "check"},
]


def test_an_engineer_walks_todays_round_on_a_phone(stack: Stack, desks: OpenDesk) -> None:
    headers = {"Authorization": f"Bearer {stack.token('dispatcher')}"}
    suffix = uuid.uuid4().hex[:4].upper()
    with httpx.Client(base_url=stack.url, headers=headers, timeout=15) as client:
        unit = client.get("/api/admin/units").json()[0]
        asset = client.post(
            "/api/assets",
            json={"tag": f"UPS-E2E-{suffix}", "asset_class": "ups", "name": "机房UPS", "security_zone": "机房设施",
                  "owning_system": "机房基础环境", "unit_id": unit["id"], "site": "市局机房", "room": "配电间"},
        )  # fmt: skip
        assert asset.status_code == 201, asset.text
        template = {"name": f"UPS巡检-{suffix}", "asset_class": "ups", "items": UPS_ITEMS}
        assert client.post("/api/inspections/templates", json=template).status_code == 201
        body = {"name": f"机房早巡-{suffix}", "frequency": "daily", "post_name": "机房值班",
                "asset_ids": [asset.json()["id"]]}  # fmt: skip
        plan = client.post("/api/inspections/plans", json=body)
        assert plan.status_code == 201, plan.text

        def round_made() -> list[dict[str, Any]]:
            return list(client.get("/api/inspections/rounds", params={"plan_id": plan.json()["id"]}).json())

        [round_] = wait_for("the worker to make today's round", round_made, timeout=30)

    engineer = desks("engineer", phone=True)
    engineer.login()
    page = engineer.goto("/ui/inspections")
    expect(page.locator("nav").first).to_contain_text("今日巡检")
    row = page.locator(f"[data-round='{round_['id']}']")
    expect(row).to_contain_text("待巡检")
    expect(row).to_contain_text("已查 0 / 1 台")
    engineer.shot("todays-rounds")

    row.locator("a").click()
    stop = page.locator(f"#stop-UPS-E2E-{suffix}")
    expect(stop).to_contain_text("正常范围 0.0–80.0 %")
    stop.locator("[name='r.ups_load']").fill("很高")
    stop.locator("[name='r.alarm_lamps_off'][value=yes]").check()
    stop.locator("button[type=submit]").click()
    expect(page.locator(f"#stop-UPS-E2E-{suffix} [data-item=ups_load] .field-error")).to_have_text(
        "“UPS负载”请输入数字读数。"
    )
    expect(page.locator(f"#stop-UPS-E2E-{suffix} [name='r.ups_load']")).to_have_value("很高")  # what was typed
    engineer.shot("reading-refused")

    stop = page.locator(f"#stop-UPS-E2E-{suffix}")
    stop.locator("[name='r.ups_load']").fill("92")
    stop.locator("[name=note]").fill("负载偏高，建议扩容")
    stop.locator("button[type=submit]").click()
    expect(page.locator(f"#stop-UPS-E2E-{suffix}")).to_contain_text("已查")
    expect(page.locator(f"#stop-UPS-E2E-{suffix} [data-item=ups_load].abnormal")).to_be_visible()
    engineer.shot("abnormal-reading")
    page.locator("#complete-round").click()
    expect(page.locator("#round-completed")).to_be_visible()
    expect(page.locator("#round-status")).to_contain_text("已完成")
    expect(page.locator(f"#stop-UPS-E2E-{suffix} dd[data-item=ups_load].abnormal")).to_have_text("92.0 % · 异常")
    engineer.shot("completed")

    with httpx.Client(base_url=stack.url, headers=headers, timeout=15) as client:
        findings = client.get("/api/inspections/findings", params={"round_id": round_["id"]}).json()
    assert [(f["item_key"], f["reading"], f["raised_by_name"]) for f in findings] == [("ups_load", 92.0, "engineer")]

    page = engineer.goto("/ui/inspections")
    page.locator("#lang-en").click()
    expect(page.locator("nav").first).to_contain_text("Today's rounds")
    expect(page.locator(f"[data-round='{round_['id']}']")).to_contain_text("1 of 1 assets checked")
    engineer.shot("english")
    page.locator("#lang-zh-CN").click()
    assert engineer.errors == [] or all("422" in e for e in engineer.errors)
