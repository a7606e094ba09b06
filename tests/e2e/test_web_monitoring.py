"""The monitoring console (`/ui/monitoring`) in a real browser: an alert posted by a monitoring engine is
listed as firing with its device flagged when the ledger lacks it; the admin adds a rule (a bad condition line
refused, named) and the dispatcher opens a maintenance window; supervisors read, requesters have no such page."""

import uuid
from datetime import UTC, datetime

import httpx
from playwright.sync_api import expect

from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import wait_for


def _engine_key(stack: Stack) -> str:
    created = httpx.post(
        f"{stack.url}/api/admin/api-keys",
        headers={"Authorization": f"Bearer {stack.token('secadmin')}"},
        json={"name": f"zabbix-{uuid.uuid4().hex[:6]}", "scopes": ["monitoring:write"]},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


def test_the_desk_sees_alerts_keeps_rules_and_opens_a_maintenance_window(stack: Stack, desks: OpenDesk) -> None:
    key = f"zbx-{uuid.uuid4().hex[:8]}"
    posted = httpx.post(
        f"{stack.url}/api/monitoring/events",
        headers={"Authorization": f"Bearer {_engine_key(stack)}"},
        json={
            "source": "zabbix",
            "key": key,
            "status": "firing",
            "severity": "high",
            "asset_tag": "JZZ-NOWHERE-1",
            "summary": "核心交换机端口down",
            "time": datetime.now(UTC).isoformat(),
        },
    )
    assert posted.status_code == 200, posted.text

    admin = desks(STACK_ADMIN)
    admin.login()
    page = admin.goto("/ui/monitoring")
    row = page.locator(f"[data-fingerprint='{key}']")
    expect(row).to_contain_text("核心交换机端口down")
    expect(row).to_contain_text("台帐中无此设备")
    admin.shot("alerts")

    page.fill("#rule-form [name=name]", "信息级只记录")
    page.fill("#rule-form [name=position]", "5")
    page.fill("#rule-form [name=matchers]", "severity=info\nthis is not a condition")
    page.locator("#rule-form button[type=submit]").click()
    expect(page.locator("#rule-form [data-field=matchers]")).to_contain_text("this is not a condition")
    page.fill("#rule-form [name=matchers]", "severity=~info|none")
    page.uncheck("#rule-form [name=opens_tickets]")
    page.locator("#rule-form button[type=submit]").click()
    expect(page.locator("#monitoring-rules")).to_contain_text("severity=~info|none")
    admin.shot("rule-added")

    dispatcher = desks("dispatcher")
    dispatcher.login()
    page = dispatcher.goto("/ui/monitoring")
    expect(page.locator("#rule-form")).to_have_count(0)  # rules are the admins'
    page.fill("#window-form [name=asset_tag]", "JZZ-NOWHERE-1")
    page.fill("#window-form [name=starts_at]", "2026-12-08T22:00")
    page.fill("#window-form [name=ends_at]", "2026-12-08T21:00")
    page.fill("#window-form [name=reason]", "交换机升级")
    page.locator("#window-form button[type=submit]").click()
    expect(page.locator("#monitoring .error")).to_be_visible()  # ends before it starts
    page.fill("#window-form [name=ends_at]", "2026-12-09T02:00")
    page.locator("#window-form button[type=submit]").click()
    expect(page.locator("#maintenance-windows")).to_contain_text("交换机升级")
    dispatcher.shot("window")

    requester = desks("requester")
    requester.login()
    assert requester.goto("/ui/monitoring").locator("#monitoring").count() == 0
    wait_for("no console errors", lambda: not admin.errors and not dispatcher.errors)
