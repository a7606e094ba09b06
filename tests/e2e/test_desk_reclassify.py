"""Issue 19, a ticket filed wrong is corrected on its page: the dispatcher moves a P3 filed under the vendor
to the police station it came from and raises it to P1 with a reason (refused without one), puts it on
hold with a reason (its clocks show paused) and takes it off again, in zh-CN."""

import re
import uuid

from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket, wait_for


def test_a_dispatcher_reclassifies_a_ticket_and_puts_it_on_hold_and_back(stack: Stack, desks: OpenDesk) -> None:
    client, operator = stack.client(), stack.token("operator")
    auth = {"Authorization": f"Bearer {operator}"}
    units = {u["code"]: u for u in client.get("/api/admin/units", headers=auth).json()}
    phone = f"1392{uuid.uuid4().int % 10**7:07d}"
    # The day-one mistake: an unknown caller's P3 left on the vendor's own unit.
    ticket = file_ticket(client, operator, units["VENDOR"]["id"], phone, priority="P3", title="望京派出所制证机卡纸")
    wait_for("the ticket's clocks", lambda: client.get(f"/api/sla/tickets/{ticket['id']}", headers=auth).is_success)

    dispatcher = desks("dispatcher")
    dispatcher.login()
    page = dispatcher.goto(f"/ui/tickets/{ticket['id']}")
    expect(page.locator("body[data-live=open]")).to_be_attached(timeout=15000)
    meta = page.locator("#ticket-panel .meta")
    expect(meta).to_contain_text("P3 · 运维服务商")

    # Reclassify: the new unit and P1, first without a reason (refused, named beside the field, nothing
    # lost), then with one.
    page.locator("#reclassify summary").click()
    form = page.locator("#reclassify-form")
    form.locator("[name=unit_id]").select_option(units["BJ-CY-WJ"]["id"])
    form.locator("[name=priority]").select_option("P1")
    dispatcher.shot("reclassify-form")
    form.locator("button[type=submit]").click()
    refused = page.locator("#reclassify-form .field-error[data-field=priority_reason]")
    expect(refused).to_be_visible()
    expect(page.locator("#ticket-panel .error")).to_have_count(0)  # said once, beside its field
    expect(page.locator("#reclassify-form [name=priority]")).to_have_value("P1")  # what was chosen is kept
    dispatcher.shot("reclassify-refused-without-reason")
    page.locator("#reclassify-form [name=priority_reason]").fill("全所无法制证，群众排队")
    page.locator("#reclassify-form button[type=submit]").click()
    expect(meta).to_contain_text("P1 · 望京派出所")
    line = page.locator("#timeline li", has_text="更正分类")
    expect(line).to_contain_text("优先级: P3 → P1")
    expect(line).to_contain_text("报修单位: 运维服务商 → 望京派出所")
    expect(line).to_contain_text("全所无法制证，群众排队")
    dispatcher.shot("reclassified")

    # On hold with a reason: the status says so and the clocks pause (dispatch follows the event).
    page.locator("#pending-form [name=reason]").fill("等待派出所提供设备序列号")
    page.locator("#pending-form button[type=submit]").click()
    expect(page.locator("#ticket-status")).to_contain_text("挂起")
    expect(page.locator("#resume-form")).to_contain_text("等待派出所提供设备序列号")
    clocks = page.locator("table.clocks tbody")
    # The panel re-reads itself on each of the ticket's events, so the clocks' pause shows without a reload.
    expect(clocks).to_contain_text("已暂停", timeout=15000)
    expect(clocks).not_to_contain_text("计时中")
    dispatcher.shot("on-hold-clocks-paused")

    page.locator("#resume-form button[type=submit]").click()
    expect(page.locator("#ticket-status")).not_to_contain_text("挂起")
    expect(page.locator("#pending-form")).to_be_visible()
    expect(clocks).to_contain_text("计时中", timeout=15000)
    expect(clocks).not_to_contain_text("已暂停")
    expect(page.locator("#timeline")).to_contain_text(re.compile("挂起.*恢复", re.S))
    dispatcher.shot("taken-off-hold")

    # What the API says now: dispatch's clocks run under the new terms, and the station's requester can
    # finally read the ticket.
    requester = {"Authorization": f"Bearer {stack.token('requester')}"}
    seen = client.get(f"/api/tickets/{ticket['id']}", headers=requester)
    assert seen.status_code == 200 and seen.json()["priority"] == "P1"
