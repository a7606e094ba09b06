"""Admin and audit in a real Chromium, in zh-CN: a security administrator resets a forgotten password (the
user must choose a new one), the administrator edits and retires an SLA policy and switches an SMS rule
off and on, and the auditor finds a write by actor, day and ticket number with its before and after."""

import re
import uuid
from datetime import datetime

from playwright.sync_api import expect

from gateway.web.context import LOCAL_TZ
from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket
from tests.e2e.test_web_ui import bearer


def test_a_security_admin_resets_a_password_and_the_user_must_choose_a_new_one(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    username = f"forgot{uuid.uuid4().hex[:6]}"
    made = client.post(
        "/api/admin/users",
        headers=bearer(stack, STACK_ADMIN),
        json={"username": username, "password": "Forg0tten-pass", "display_name": "忘密码", "roles": ["dispatcher"]},
    )
    assert made.status_code == 201, made.text
    secadmin = desks("secadmin")
    secadmin.login()
    secadmin.goto("/ui/admin?section=users")
    secadmin.page.once("dialog", lambda dialog: dialog.accept())
    secadmin.page.locator(f"form.reset-password[data-user='{username}'] button").click()
    shown = secadmin.page.locator("#temporary-password")
    expect(shown).to_contain_text(username)
    temporary = shown.locator("code").inner_text()
    assert len(temporary) >= 12
    secadmin.shot("password-reset")

    user = desks("forgot-user")
    user.page.goto(stack.url + "/login")
    user.page.fill("[name=username]", username)
    user.page.fill("[name=password]", "Forg0tten-pass")
    user.page.click("#login-form button[type=submit]")
    expect(user.page.locator("#login-form")).to_be_visible()  # the old password no longer opens it
    user.page.fill("[name=username]", username)
    user.page.fill("[name=password]", temporary)
    user.page.click("#login-form button[type=submit]")
    expect(user.page).to_have_url(re.compile(r"/ui/password\?reason=reset"))
    expect(user.page.locator("#password-panel")).to_contain_text("管理员已重置您的密码")
    user.shot("must-change")
    user.goto("/ui/dispatch")
    expect(user.page).to_have_url(re.compile(r"/ui/password$"))  # nothing else opens meanwhile
    form = user.page.locator("#password-form")
    form.locator("[name=current_password]").fill(temporary)
    form.locator("[name=new_password]").fill("Brand-n3w-secret")
    form.locator("[name=confirm_password]").fill("Brand-n3w-secret")
    form.locator("button[type=submit]").click()
    expect(user.page).to_have_url(re.compile(r"/ui/dispatch$"))
    # Audited under the security administrator's name, without the password.
    log = client.get("/api/admin/audit-log", headers=bearer(stack, "auditor"), params={"object": made.json()["id"]})
    [reset] = [e for e in log.json()["items"] if e["action"] == "admin.users.password-reset.post.ok"]
    assert reset["actor_name"] == "secadmin" and temporary not in str(reset)


def policy_named(stack: Stack, name: str) -> dict[str, object]:
    policies = stack.client().get("/api/sla/policies", headers=bearer(stack, STACK_ADMIN)).json()
    return dict(next(p for p in policies if p["name"] == name))


def test_the_admin_edits_and_retires_an_sla_policy_and_switches_an_sms_rule(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    name = f"投诉加急-{uuid.uuid4().hex[:4]}"
    taken = {
        (p["category"], p["priority"])
        for p in client.get("/api/sla/policies", headers=bearer(stack, STACK_ADMIN)).json()
        if p["is_active"]
    }
    # A category and priority no other policy (of this or earlier tests) claims exactly.
    category, priority = next(
        (c, p) for c in ("complaint", "service_request", "consultation") for p in ("P1", "P2") if (c, p) not in taken
    )
    made = client.post(
        "/api/sla/policies",
        headers=bearer(stack, STACK_ADMIN),
        json={"name": name, "category": category, "priority": priority, "resolution_target_s": 7200},
    )
    assert made.status_code == 201, made.text
    admin = desks(STACK_ADMIN)
    admin.login()
    admin.goto("/ui/admin?section=sla")
    row = admin.page.locator(f"#sla-policies tr[data-policy='{name}']")
    expect(row).to_contain_text("120 分钟")
    row.locator("details.policy-edit summary").click()
    row.locator("[name=response_target_s]").fill("15")
    row.locator("[name=resolution_target_s]").fill("240")
    row.locator("details.policy-edit button[type=submit]").click()
    row = admin.page.locator(f"#sla-policies tr[data-policy='{name}']")
    expect(row).to_contain_text("15 分钟")  # the response target, a column of its own now
    expect(row).to_contain_text("240 分钟")
    admin.shot("sla-edited")
    policy = next(
        p for p in client.get("/api/sla/policies", headers=bearer(stack, STACK_ADMIN)).json() if p["name"] == name
    )
    assert (policy["response_target_s"], policy["resolution_target_s"]) == (900, 14400)
    admin.page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button.danger").click()
    expect(admin.page.locator(f"#sla-policies tr[data-policy='{name}'] .policy-state")).to_have_text("已停用")
    admin.shot("sla-retired")
    policy = next(
        p for p in client.get("/api/sla/policies", headers=bearer(stack, STACK_ADMIN)).json() if p["name"] == name
    )
    assert policy["is_active"] is False

    admin.goto("/ui/admin?section=sms")
    rule = admin.page.locator("#sms-rules tr[data-rule=public_comment]")
    expect(rule.locator("td").first).to_have_text("回复通知")  # a name people read, not the trigger's identifier
    expect(rule.locator(".rule-state")).to_have_text("启用")
    rule.locator("button").click()
    expect(admin.page.locator("#sms-rules tr[data-rule=public_comment] .rule-state")).to_have_text("停用")
    admin.shot("sms-rule-off")
    rules = {r["trigger"]: r for r in client.get("/api/sms/rules", headers=bearer(stack, STACK_ADMIN)).json()}
    assert rules["public_comment"]["enabled"] is False
    admin.page.locator("#sms-rules tr[data-rule=public_comment] button").click()
    expect(admin.page.locator("#sms-rules tr[data-rule=public_comment] .rule-state")).to_have_text("启用")
    rules = {r["trigger"]: r for r in client.get("/api/sms/rules", headers=bearer(stack, STACK_ADMIN)).json()}
    assert rules["public_comment"]["enabled"] is True


def test_the_auditor_filters_by_actor_and_day_and_sees_the_ticket_number_and_changes(
    stack: Stack, desks: OpenDesk
) -> None:
    client = stack.client()
    me = client.get("/api/auth/me", headers=bearer(stack, "requester")).json()
    ticket = file_ticket(
        client, stack.token("operator"), me["unit_id"], "13800010009", title="审计用工单", priority="P3"
    )
    cancelled = client.post(
        f"/api/tickets/{ticket['id']}/cancel", headers=bearer(stack, "operator"), json={"reason": "重复报修"}
    )
    assert cancelled.status_code == 200, cancelled.text
    auditor = desks("auditor")
    auditor.login()
    auditor.goto("/ui/audit")
    today = datetime.now(LOCAL_TZ).date().isoformat()
    filters = auditor.page.locator("#audit-filters")
    filters.locator("[name=since]").fill(today)
    filters.locator("[name=until]").fill(today)
    filters.locator("[name=actor]").fill("operator")
    filters.locator("[name=action]").select_option("tickets.")
    filters.locator("[name=target]").fill(ticket["number"])
    filters.locator("button[type=submit]").click()
    rows = auditor.page.locator("#audit-table tbody tr[data-entry]")
    expect(rows).to_have_count(2)  # filed and cancelled, by the operator, today
    expect(rows.first.locator(".audit-object")).to_contain_text(f"工单 {ticket['number']}")
    # The path names the ticket by its number, not its id.
    expect(rows.first.locator(".audit-object > code")).to_contain_text(f"/api/tickets/{ticket['number']}/cancel")
    rows.first.locator("details.audit-changes summary").click()
    changes = rows.first.locator("details.audit-changes")
    expect(changes).to_contain_text("变更前")
    status = changes.locator("tr:has(td > code:text-is('status'))").first
    expect(status).to_contain_text("new")
    expect(status).to_contain_text("cancelled")
    auditor.shot("audit-filtered")
    # Another day or another actor: nothing.
    auditor.goto(f"/ui/audit?target={ticket['number']}&since=2020-01-01&until=2020-01-02")
    expect(auditor.page.locator("#audit-table tbody tr[data-entry]")).to_have_count(0)
    auditor.goto(f"/ui/audit?target={ticket['number']}&actor=dispatcher")
    expect(auditor.page.locator("#audit-table tbody tr[data-entry]")).to_have_count(0)


def test_the_admin_keeps_canned_replies_and_the_contract_the_reports_print(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    title = f"已派工程师-{uuid.uuid4().hex[:4]}"
    admin = desks(STACK_ADMIN)
    admin.login()
    admin.goto("/ui/admin?section=replies")
    form = admin.page.locator("#reply-form")
    form.locator("[name=title]").fill(title)
    form.locator("[name=body]").fill("您好，已安排工程师，预计两小时内到场。")
    form.locator("button[type=submit]").click()
    row = admin.page.locator(f"#canned-replies tr[data-reply='{title}']")
    expect(row).to_contain_text("两小时内到场")
    row.locator("details.reply-edit summary").click()
    row.locator("[name=body]").fill("您好，已安排工程师，预计一小时内到场。")
    row.locator("details.reply-edit button[type=submit]").click()
    expect(admin.page.locator(f"#canned-replies tr[data-reply='{title}'] .reply-body")).to_have_text(
        "您好，已安排工程师，预计一小时内到场。"
    )
    admin.shot("canned-replies")
    # The operator finds it in a ticket's comment box.
    me = client.get("/api/auth/me", headers=bearer(stack, "requester")).json()
    ticket = file_ticket(client, stack.token("operator"), me["unit_id"], "13800138051", title="打印机缺纸报警")
    operator = desks("operator")
    operator.login()
    operator.goto(f"/ui/tickets/{ticket['id']}")
    expect(operator.page.locator("#canned-reply option", has_text=title)).to_have_count(1)
    client.post(f"/api/tickets/{ticket['id']}/cancel", headers=bearer(stack, "operator"), json={"reason": "测试结束"})
    # Deleted, it is gone from the list.
    admin.page.once("dialog", lambda dialog: dialog.accept())
    admin.page.locator(f"#canned-replies tr[data-reply='{title}'] button.danger").click()
    expect(admin.page.locator("#reply-saved")).to_contain_text("已删除")
    expect(admin.page.locator(f"#canned-replies tr[data-reply='{title}']")).to_have_count(0)

    # The contract's particulars, which the acceptance reports print.
    admin.goto("/ui/admin?section=contract")
    form = admin.page.locator("#contract-form")
    number = f"BJGA-YW-2026-{uuid.uuid4().hex[:3]}"
    form.locator("[name=contract_number]").fill(number)
    form.locator("[name=contract_title]").fill("居住证信息系统运维服务合同")
    form.locator("[name=client_name]").fill("北京市公安局")
    form.locator("[name=vendor_name]").fill("某某信息技术有限公司")
    form.locator("[name=starts_on]").fill("2026-05-29")
    form.locator("[name=ends_on]").fill("2025-05-28")  # before it starts: refused beside a field, kept as typed
    form.locator("button[type=submit]").click()
    expect(admin.page.locator("#contract-form .field-error, #admin-section .error").first).to_be_visible()
    expect(admin.page.locator("#contract-form [name=contract_number]")).to_have_value(number)
    admin.page.locator("#contract-form [name=ends_on]").fill("2027-05-28")
    admin.page.locator("#contract-form button[type=submit]").click()
    expect(admin.page.locator("#contract-saved")).to_be_visible()
    expect(admin.page.locator("#contract-form [name=contract_number]")).to_have_value(number)
    admin.shot("contract")
    kept = client.get("/api/reports/contract", headers=bearer(stack, STACK_ADMIN)).json()
    assert (kept["contract_number"], kept["client_name"], kept["starts_on"], kept["ends_on"]) == (
        number,
        "北京市公安局",
        "2026-05-29",
        "2027-05-28",
    )
