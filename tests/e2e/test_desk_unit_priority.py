"""The hotline form files a ticket under the right unit and priority: the unit is chosen from the unit tree
by type-ahead (never a default), impact × urgency show the priority live, and the desk's override keeps its
reason in the timeline. The requester's portal shows the same fields without the override."""

import re

from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk


def bearer(stack: Stack, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(who)}"}


def test_the_hotline_chooses_the_unit_by_type_ahead_and_sees_the_priority_live(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    units = {u["code"]: u for u in client.get("/api/admin/units", headers=bearer(stack, "operator")).json()}
    operator = desks("operator")
    operator.login()
    expect(operator.page).to_have_url(re.compile(r"/ui/hotline$"))
    operator.shot("console")
    form = operator.page.locator("#ticket-form")
    form.locator("[name=title]").fill("业务专网中断，全所无法办证")
    form.locator("[name=description]").fill("望京派出所全部终端无法登录居住证系统，群众在大厅等候。")
    form.locator("[name=requester_name]").fill("赵刚")
    form.locator("[name=requester_phone]").fill("13911110019")

    # No unit chosen: nothing starts on the vendor's own unit, and filing is refused beside the field.
    expect(form.locator("[name=unit_id]")).to_have_value("")
    expect(form.locator("[name=unit_q]")).to_have_value("")
    form.locator("button[type=submit]").click()
    error = operator.page.locator("#ticket-form .field-error[data-field=unit_id]")
    expect(error).to_contain_text("请从列表中选择报修单位")
    expect(operator.page.locator("#ticket-form [name=title]")).to_have_value("业务专网中断，全所无法办证")
    operator.shot("unit-required")

    # Type-ahead on the name: both units under 望京, each with its place in the tree.
    form = operator.page.locator("#ticket-form")
    form.locator("[name=unit_q]").fill("望京")
    options = operator.page.locator("#unit-options button")
    expect(options).to_have_count(2)
    wangjing = options.filter(has_text="望京派出所")
    expect(wangjing).to_contain_text("北京市公安局 › 朝阳分局 › 望京派出所")
    expect(wangjing).to_contain_text("BJ-CY-WJ")
    operator.shot("type-ahead")
    # ...and on the code.
    form.locator("[name=unit_q]").fill("bj-cy-wj")
    expect(options.first).to_contain_text("望京派出所")
    options.first.click()
    expect(form.locator("[name=unit_q]")).to_have_value("望京派出所 · BJ-CY-WJ")
    expect(form.locator("[name=unit_id]")).to_have_value(units["BJ-CY-WJ"]["id"])
    expect(operator.page.locator("#unit-options button")).to_have_count(0)

    # Impact × urgency: the priority follows as they change.
    computed = operator.page.locator("#computed-priority [data-priority]")
    expect(computed).to_have_text("P3")
    form.locator("[name=impact]").select_option("high")
    form.locator("[name=urgency]").select_option("high")
    expect(computed).to_have_text("P1")
    operator.shot("priority-live")
    form.locator("[name=urgency]").select_option("medium")
    expect(computed).to_have_text("P2")

    # The desk overrides it: the reason is required, then kept.
    form.locator("[name=priority_override]").check()
    form.locator("[name=priority]").select_option("P1")
    form.locator("button[type=submit]").click()
    expect(operator.page.locator("#ticket-form .field-error[data-field=priority_reason]")).to_be_visible()
    expect(operator.page.locator("#ticket-form [name=unit_q]")).to_have_value("望京派出所 · BJ-CY-WJ")
    reason = "全所业务停办，群众在大厅等候"
    operator.page.locator("#ticket-form [name=priority_reason]").fill(reason)
    operator.shot("override")
    operator.page.locator("#ticket-form button[type=submit]").click()
    number = operator.page.locator("#ticket-ok .ticket-number")
    expect(number).to_have_text(re.compile(r"^\d{8}-\d{4,}$"))

    [ticket] = client.get("/api/tickets", params={"q": number.inner_text()}, headers=bearer(stack, "operator")).json()[
        "items"
    ]
    assert (ticket["unit_id"], ticket["priority"]) == (units["BJ-CY-WJ"]["id"], "P1")
    number.click()
    line = operator.page.locator("#timeline li", has_text="人工调整优先级")
    expect(line).to_contain_text("P2 → P1")
    expect(line).to_contain_text(reason)
    operator.shot("timeline")

    # 望京派出所's requester reads it (it is in their unit), and their portal has impact and urgency, their
    # own unit chosen, and no override.
    requester = desks("requester")
    requester.login()
    portal = requester.page.locator("#ticket-form")
    expect(portal.locator("[name=unit_q]")).to_have_value("望京派出所 · BJ-CY-WJ")
    expect(portal.locator("[name=impact]")).to_be_visible()
    expect(requester.page.locator("#computed-priority [data-priority]")).to_have_text("P3")
    expect(portal.locator("[name=priority_override]")).to_have_count(0)
    expect(portal.locator("[name=priority]")).to_have_count(0)
    requester.shot("portal")
    mine = client.get(f"/api/tickets/{ticket['id']}", headers=bearer(stack, "requester"))
    assert mine.status_code == 200
