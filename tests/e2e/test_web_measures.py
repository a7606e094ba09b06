"""The project manager's improvement measures (`/ui/measures`) on the real processes: a measure an engineer
proposed waits on the project manager's first page; reviewed there with a comment (a review without one is
refused, said beside the form), reported to the bureau, given its planned date; the bureau's supervisor
verifies it once done; every step listed with who and when; the page in English."""

import uuid
from datetime import date, timedelta

import httpx
from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk


def test_the_project_manager_reviews_a_measure_and_follows_it_to_verification(stack: Stack, desks: OpenDesk) -> None:
    title = f"机房空调滤网每月清洗-{uuid.uuid4().hex[:4]}"
    body = {"title": title, "problem": "二号机房温度 29.5°C，超出 18–27°C", "proposal": "每月第一个周一清洗空调滤网"}
    engineer = {"Authorization": f"Bearer {stack.token('engineer')}"}
    with httpx.Client(base_url=stack.url, timeout=15) as client:
        made = client.post("/api/measures", json=body, headers=engineer)
        assert made.status_code == 201, made.text
    measure_id = made.json()["id"]

    pm = desks("manager")
    page = pm.login()
    expect(page).to_have_url(f"{stack.url}/ui/measures")  # the project manager's first page
    expect(page.locator("#measure-states [aria-current]")).to_contain_text("待审核")
    row = page.locator(f"[data-measure='{measure_id}']")
    expect(row).to_contain_text(title)
    expect(row).to_contain_text("刘洋")  # the engineer's name from the gateway's user events, not their login
    pm.shot("awaiting-review")

    row.locator("a").click()
    expect(page.locator("#measure-state")).to_have_text("待审核")
    # A review says why: sent without a comment (the browser's own check bypassed), refused by the service.
    page.locator("#review-form textarea[name=comment]").evaluate("e => e.removeAttribute('required')")
    page.locator("#review-form button[value=accept]").click()
    expect(page.locator("#review-form .field-error")).to_contain_text("请填写审核意见或说明理由")
    pm.shot("review-refused")
    page.locator("#review-form textarea[name=comment]").fill("同意，下周报甲方项目负责人")
    page.locator("#review-form button[value=accept]").click()
    expect(page.locator("#measure-state")).to_have_text("已采纳")
    page.locator(".step-form[data-action=report] button").click()
    expect(page.locator("#measure-state")).to_have_text("已上报甲方")
    planned = (date.today() + timedelta(days=14)).isoformat()
    page.locator(".step-form[data-action=plan] input[name=planned_on]").fill(planned)
    page.locator(".step-form[data-action=plan] button").click()
    expect(page.locator("#measure-state")).to_have_text("已计划")
    expect(page.locator("#planned-on")).to_have_text(planned)
    pm.shot("planned")

    with httpx.Client(base_url=stack.url, timeout=15) as client:
        done = client.post(f"/api/measures/{measure_id}/steps", json={"action": "complete"}, headers=engineer)
        assert done.status_code == 200, done.text
    supervisor = desks("supervisor")
    supervisor.login()
    page_s = supervisor.goto(f"/ui/measures/{measure_id}")
    expect(page_s.locator(".step-form")).to_have_count(1)  # verifying is all the bureau does here
    page_s.locator(".step-form[data-action=verify] input[name=comment]").fill("现场查看滤网已清洗")
    page_s.locator(".step-form[data-action=verify] button").click()
    expect(page_s.locator("#measure-state")).to_have_text("已验证")
    steps = page_s.locator("#measure-steps tbody tr")
    expect(steps).to_have_count(6)
    expect(steps.nth(1)).to_contain_text("同意，下周报甲方项目负责人")
    expect(steps.nth(5)).to_contain_text("赵敏")  # the supervisor
    supervisor.shot("verified")

    # Every write in the audit log with what it changed: the proposal, five steps, and the refused review.
    auditor = {"Authorization": f"Bearer {stack.token('auditor')}"}
    with httpx.Client(base_url=stack.url, timeout=15) as client:
        log = client.get("/api/admin/audit-log", params={"target": measure_id}, headers=auditor)
    assert log.status_code == 200, log.text
    # The API's writes (the console's own form posts are entries of their own).
    entries = [e for e in log.json()["items"] if e["method"] == "POST" and e["path"].startswith("/api/measures")]
    written = sorted((e["actor_name"], e["status"]) for e in entries if e["status"] < 400 and e["changes"])
    assert written == sorted(
        [("engineer", 201), ("manager", 200), ("manager", 200), ("manager", 200), ("engineer", 200),
         ("supervisor", 200)]
    ), written  # fmt: skip
    assert [(e["actor_name"], e["status"], e["changes"]) for e in entries if e["status"] >= 400] == [
        ("manager", 422, None)
    ]

    page = pm.goto(f"/ui/measures/{measure_id}")
    page.locator("#lang-en").click()
    expect(page.locator("#measure-state")).to_have_text("Verified")
    expect(page.locator("#measure-steps")).to_contain_text("Report to the bureau's project lead")
    pm.shot("english")
    page.locator("#lang-zh-CN").click()
    assert pm.errors == [] or all("422" in e or "409" in e for e in pm.errors)
