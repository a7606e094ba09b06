"""Errors in the user's language, once, beside their field, with what was typed or chosen kept (issue 19):
a part cost typed `1,200` on the engineer's phone, a requester's ticket for a unit outside theirs (with a
photo chosen), a breached password on the change-password page, and the 404 page, in zh-CN (and the 404
in English after the switch)."""

import re
import uuid
from pathlib import Path

from playwright.sync_api import expect

from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_desk_field import ONE_PIXEL_PNG, _assigned


def _bearer(stack: Stack, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(who)}"}


def test_a_part_cost_typed_with_a_comma_is_refused_in_chinese_beside_it_and_the_form_is_kept(
    stack: Stack, desks: OpenDesk
) -> None:
    client = stack.client()
    ticket = _assigned(stack, client, title=f"存储阵列告警 {uuid.uuid4().hex[:4]}")
    engineer = desks("engineer", phone=True)
    engineer.login()
    engineer.page.locator(f".orders li[data-ticket='{ticket['number']}'] a").click()
    engineer.page.locator("#accept").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已接单")

    form = engineer.page.locator("#resolve-form")
    form.locator("[name=resolution_code]").select_option("replaced_part")
    form.locator("[name=summary]").fill("远程指导更换阵列硬盘，告警消除")
    rows = form.locator(".part-row")
    rows.nth(0).locator("input[name^=part_name_]").fill("硬盘")
    rows.nth(0).locator("input[name^=part_qty_]").fill("2")
    rows.nth(0).locator("input[name^=part_cost_]").fill("1,200")
    form.locator("[name=remote]").check()
    form.locator("#resolve").click()

    form = engineer.page.locator("#resolve-form")
    message = form.locator(".field-error[data-input=part_cost_0]")
    expect(message).to_have_text("请输入数字（如 1200 或 1200.50，不要加逗号或单位）。")
    # Once: no other message on the panel, none in English.
    expect(engineer.page.locator("#order-panel .field-error")).to_have_count(1)
    expect(engineer.page.locator("#order-panel [role=alert]")).to_have_count(0)
    expect(engineer.page.locator("#order-panel")).not_to_contain_text("decimal")
    # Everything typed or chosen is still there.
    expect(form.locator("[name=part_cost_0]")).to_have_value("1,200")
    expect(form.locator("[name=part_cost_0]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("[name=part_name_0]")).to_have_value("硬盘")
    expect(form.locator("[name=part_qty_0]")).to_have_value("2")
    expect(form.locator("[name=summary]")).to_have_value("远程指导更换阵列硬盘，告警消除")
    expect(form.locator("[name=resolution_code]")).to_have_value("replaced_part")
    expect(form.locator("[name=remote]")).to_be_checked()
    message.scroll_into_view_if_needed()
    engineer.shot("part-cost-refused")

    form.locator("[name=part_cost_0]").fill("1200")
    form.locator("#resolve").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已解决")
    expect(engineer.page.locator("#order-panel")).to_contain_text("¥2400.00")


def test_a_ticket_for_a_unit_outside_the_requesters_is_refused_beside_the_unit_keeping_the_photo(
    stack: Stack, desks: OpenDesk, tmp_path: Path
) -> None:
    client = stack.client()
    me = client.get("/api/auth/me", headers=_bearer(stack, "requester")).json()
    units = client.get("/api/admin/units", headers=_bearer(stack, STACK_ADMIN)).json()
    outside = next(u for u in units if me["unit_id"] not in u["path"])

    requester = desks("requester")
    requester.login()
    requester.goto("/ui/portal")
    form = requester.page.locator("#ticket-form")
    form.locator("[name=title]").fill("制证机无法读卡")
    form.locator("[name=description]").fill("二号窗口制证机读卡失败，已重启无效。")
    form.locator("[name=category]").select_option("consultation")
    form.locator("[name=impact]").select_option("high")
    form.locator("[name=requester_name]").fill("王五")
    form.locator("[name=requester_phone]").fill("13800138061")
    photo = tmp_path / "读卡器.png"
    photo.write_bytes(ONE_PIXEL_PNG)
    form.locator("[name=attachments]").set_input_files(str(photo))
    # A unit the requester may not file for (a stale choice: the hidden field the type-ahead fills).
    form.locator("[name=unit_id]").evaluate("(input, id) => { input.value = id; }", outside["id"])
    form.locator("button[type=submit]").click()

    form = requester.page.locator("#ticket-form")
    message = form.locator(".field-error[data-field=unit_id]")
    expect(message).to_have_text("只能为本单位及下属单位报修，请选择您所在的单位。")
    expect(form.locator(".field-error")).to_have_count(1)
    expect(form.locator("[role=alert]")).to_have_count(0)
    expect(form).not_to_contain_text("subtree")
    expect(form.locator("[name=title]")).to_have_value("制证机无法读卡")
    expect(form.locator("[name=description]")).to_have_value("二号窗口制证机读卡失败，已重启无效。")
    expect(form.locator("[name=category]")).to_have_value("consultation")
    expect(form.locator("[name=impact]")).to_have_value("high")
    expect(form.locator("[name=requester_phone]")).to_have_value("13800138061")
    # The photo chosen is kept in the browser, and the page says so beside the file field.
    assert form.locator("[name=attachments]").evaluate("input => [...input.files].map((f) => f.name)") == ["读卡器.png"]
    expect(form.locator(".files-kept")).to_be_visible()
    requester.shot("unit-out-of-scope")

    # Their own unit: filed, with the photo nobody had to choose again.
    form.locator("[name=unit_id]").evaluate("(input, id) => { input.value = id; }", me["unit_id"])
    form.locator("button[type=submit]").click()
    number = requester.page.locator("#ticket-ok .ticket-number")
    expect(number).to_be_visible()
    filed = client.get("/api/tickets", params={"q": "制证机无法读卡"}, headers=_bearer(stack, "requester")).json()
    ticket_id = next(t["id"] for t in filed["items"] if t["number"] == number.inner_text().strip())
    attachments = client.get(f"/api/tickets/{ticket_id}", headers=_bearer(stack, "requester")).json()["attachments"]
    assert [a["filename"] for a in attachments] == ["读卡器.png"]


def test_a_breached_new_password_is_refused_in_chinese_beside_it_keeping_the_current_one(
    stack: Stack, desks: OpenDesk
) -> None:
    client = stack.client()
    admin = _bearer(stack, STACK_ADMIN)
    units = {u["code"]: u["id"] for u in client.get("/api/admin/units", headers=admin).json()}
    username = f"pw{uuid.uuid4().hex[:6]}"
    made = client.post(
        "/api/admin/users",
        headers=admin,
        json={
            "username": username,
            "password": "Old-s3cret-pass",
            "display_name": "改密码",
            "roles": ["requester"],
            "unit_id": units["BJ-CY-WJ"],
        },
    )
    assert made.status_code == 201, made.text
    user = desks("pw-user")
    user.login(username, "Old-s3cret-pass")
    user.goto("/ui/password")
    form = user.page.locator("#password-form")
    form.locator("[name=current_password]").fill("Old-s3cret-pass")
    form.locator("[name=new_password]").fill("Password123!")
    form.locator("[name=confirm_password]").fill("Password123!")
    form.locator("button[type=submit]").click()

    message = user.page.locator("#password-form .field-error[data-field=new_password]")
    expect(message).to_contain_text("已泄露密码库")
    expect(user.page.locator("#password-panel .field-error")).to_have_count(1)
    expect(user.page.locator("#password-panel [role=alert]")).to_have_count(0)
    expect(user.page.locator("#password-panel")).not_to_contain_text("breached")
    form = user.page.locator("#password-form")
    # The current password is kept (by the browser: no password is ever sent back in a page); the refused
    # one and its confirmation are emptied for a new choice.
    expect(form.locator("[name=current_password]")).to_have_value("Old-s3cret-pass")
    expect(form.locator("[name=new_password]")).to_have_value("")
    expect(form.locator("[name=confirm_password]")).to_have_value("")
    assert "Old-s3cret-pass" not in user.page.content()  # a property of the input, in no HTML
    user.shot("breached-password")

    form.locator("[name=new_password]").fill("Fresh-l0ng-secret")
    form.locator("[name=confirm_password]").fill("Fresh-l0ng-secret")
    form.locator("button[type=submit]").click()
    expect(user.page).to_have_url(re.compile(r"/ui/portal$"))


def test_the_404_page_is_in_chinese_with_a_way_back_and_english_after_the_switch(stack: Stack, desks: OpenDesk) -> None:
    requester = desks("requester")
    requester.login()
    page = requester.page
    answer = page.goto(stack.url + "/ui/no-such-page")
    assert answer is not None and answer.status == 404
    expect(page.locator("#error-page h1")).to_contain_text("页面不存在")
    expect(page.locator("#error-page [role=alert]")).to_have_text("页面或接口不存在。")
    expect(page.locator("#error-home")).to_have_attribute("href", "/ui/portal")
    expect(page.locator("body")).not_to_contain_text("Not Found")
    requester.shot("404")
    page.locator("#error-home").click()
    expect(page).to_have_url(re.compile(r"/ui/portal$"))

    # A ticket that is not there (or not theirs): the API's 404, worded for people.
    requester.goto(f"/ui/tickets/{uuid.uuid4()}")
    expect(page.locator("#error-page [role=alert]")).to_have_text("找不到该工单，或它不在您的单位范围内。")
    expect(page.locator("#error-back")).to_be_visible()
    requester.shot("ticket-404")
    page.locator("#error-back").click()
    expect(page).to_have_url(re.compile(r"/ui/portal$"))

    # A console the role has no use for: 403, in Chinese, with the way home.
    requester.goto("/ui/dispatch")
    expect(page.locator("#error-page h1")).to_contain_text("无权访问")
    expect(page.locator("#error-page [role=alert]")).to_have_text("您的角色无权使用此页面。")
    expect(page.locator("#error-home")).to_have_attribute("href", "/ui/portal")
    requester.shot("403")

    requester.goto("/ui/no-such-page")
    page.locator("#lang-en").click()
    expect(page.locator("#error-page h1")).to_contain_text("Page not found")
    expect(page.locator("#error-page [role=alert]")).to_have_text("No such page or endpoint.")
    expect(page.locator("#error-home")).to_have_text("Back to start")
    requester.shot("404-english")

    # The API keeps its problem+json, with the code.
    problem = stack.client().get("/api/no-such-thing", headers={"Accept": "text/html"})
    assert problem.status_code == 404 and problem.json()["code"] == "route.not_found"
