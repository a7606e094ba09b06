"""The knowledge base at the hotline, in a real Chromium (zh-CN): while the operator types a caller's problem
into the quick ticket form, the matching published article appears beside it with the matched words marked;
"用此文章解决来电" logs the call as answered on the phone and links it to the article (first-call resolution
by article), and the form comes back empty for the next caller. A requester typing the same problem in the
portal is shown the article before filing and says it spared the filing."""

import uuid

from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import wait_for


def bearer(stack: Stack, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(who)}"}


def publish(stack: Stack, marker: str) -> dict:
    client = stack.client()
    made = client.post(
        "/api/knowledge/articles",
        headers=bearer(stack, "operator"),
        json={
            "title": f"流管站制证机卡纸 {marker}",
            "symptoms": f"制证机打印居住证时卡纸，指示灯闪红 {marker}。",
            "cause": "色带或卡片走纸不顺。",
            "steps": ["关机后打开前盖取出卡住的卡片", "检查色带是否装正后重新开机"],
            "equipment_class": "制证机",
            "tags": ["制证机", "卡纸"],
            "audience": "published",
        },
    )
    assert made.status_code == 201, made.text
    article = made.json()
    url = f"/api/knowledge/articles/{article['id']}/transitions"
    assert client.post(url, headers=bearer(stack, "operator"), json={"action": "submit"}).status_code == 200
    done = client.post(url, headers=bearer(stack, "dispatcher"), json={"action": "publish"})
    assert done.status_code == 200, done.text
    return done.json()


def test_an_operator_finds_an_article_while_typing_and_resolves_the_call_with_it(stack: Stack, desks: OpenDesk) -> None:
    marker = uuid.uuid4().hex[:6]
    article = publish(stack, marker)
    operator = desks("operator")
    page = operator.login()
    page = operator.goto("/ui/hotline")
    form = page.locator("#ticket-form")
    form.locator("[name=title]").fill("制证机卡纸")
    form.locator("[name=description]").press_sequentially(f"流管站来电：制证机打印居住证时卡纸了 {marker}", delay=20)
    hit = page.locator(f"#knowledge-suggestions .kb-hit[data-article='{article['id']}']")
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_be_visible()  # the matched words marked
    hit.locator(".kb-title").click()
    expect(hit.locator(".kb-steps")).to_contain_text("取出卡住的卡片")
    phone = f"1391{uuid.uuid4().int % 10**7:07d}"
    form.locator("[name=requester_phone]").fill(phone)
    operator.shot("article-beside-the-problem")

    hit.locator(".kb-solve").click()
    expect(page.locator("#hotline-outcome")).to_contain_text(article["number"])
    expect(page.locator("#ticket-form [name=description]")).to_have_value("")  # ready for the next caller
    expect(page.locator("#knowledge-suggestions .kb-hit")).to_have_count(0)
    operator.shot("call-solved-with-the-article")

    client = stack.client()
    used = client.get(f"/api/knowledge/articles/{article['id']}", headers=bearer(stack, "operator")).json()
    assert used["uses"] == 1
    calls = client.get("/api/calls", headers=bearer(stack, "operator"), params={"limit": 50}).json()
    assert any(c["outcome"] == "consultation_answered" and marker in (c["notes"] or "") for c in calls)
    stats = client.get("/api/knowledge/stats", headers=bearer(stack, "supervisor")).json()
    assert stats["uses_in_calls"] >= 1
    # The figure in the summary report (first-call resolution by article), and on the supervisor's dashboard.
    wait_for(
        "the summary report to count the call solved with the article",
        lambda: (
            client.get("/api/reports/summary", headers=bearer(stack, "supervisor")).json()["traffic"][
                "calls_solved_by_article"
            ]
            >= 1
        ),
    )
    supervisor = desks("supervisor")
    supervisor.login()
    board = supervisor.goto("/ui/dashboard")
    expect(board.locator("#kpi-knowledge b")).not_to_have_text("0")
    supervisor.shot("dashboard-calls-solved-by-article")

    # The staff's page: the article found by a Chinese query, the figures above the list.
    listing = operator.goto(f"/ui/knowledge?q=制证机卡纸+{marker}")
    expect(listing.locator(f"#kb-rows tr[data-article='{article['id']}'] mark").first).to_be_visible()
    expect(listing.locator("#kb-stats")).to_contain_text("用文章解决的来电")
    operator.shot("knowledge-page")
    shown = operator.goto(f"/ui/knowledge/{article['id']}")
    expect(shown.locator("#kb-usefulness")).to_contain_text("解决次数 1")
    expect(shown.locator("#kb-versions tbody tr")).to_have_count(3)  # created, submitted, published
    expect(shown.locator("#kb-transitions")).to_have_count(0)  # the operator writes; reviewers retire
    expect(shown.locator("#kb-not-editable")).to_be_visible()
    operator.shot("article-with-history")

    # Written in the editor, sent for review, published by the dispatcher (the project manager's stand-in).
    listing = operator.goto("/ui/knowledge")
    editor = listing.locator("#kb-editor")
    editor.locator("[name=title]").fill(f"高拍仪拍照发虚 {marker}")
    editor.locator("[name=symptoms]").fill("人像采集时照片模糊，系统提示照片不合格。")
    editor.locator("[name=steps]").fill("擦拭镜头\n在采集软件中重新对焦")
    editor.locator("[name=audience]").select_option("published")
    editor.locator("button[type=submit]").click()
    listing.wait_for_url("**/ui/knowledge/*")
    expect(listing.locator("#kb-article h2")).to_contain_text("草稿")
    listing.locator("#kb-transitions [data-action=submit]").click()
    expect(listing.locator("#kb-article h2")).to_contain_text("待审核")
    draft_url = listing.url
    dispatcher = desks("dispatcher")
    dispatcher.login()
    review = dispatcher.page
    review.goto(draft_url)
    review.locator("#kb-transitions [name=note]").fill("内容准确")
    review.locator("#kb-transitions [data-action=publish]").click()
    expect(review.locator("#kb-article h2")).to_contain_text("已发布")
    expect(review.locator("#kb-versions")).to_contain_text("内容准确")
    dispatcher.shot("published-after-review")

    # A requester typing the same problem in the portal sees it before filing, and is spared the filing.
    requester = desks("requester")
    portal = requester.login()
    portal = requester.goto("/ui/portal")
    portal.locator("#ticket-form [name=description]").press_sequentially(f"制证机卡纸 {marker}", delay=20)
    mine = portal.locator(f"#knowledge-suggestions .kb-hit[data-article='{article['id']}']")
    mine.locator(".kb-title").click()
    mine.get_by_role("button", name="问题已解决，不用报修了").click()
    expect(mine).to_contain_text("无需报修")
    requester.shot("portal-spared-filing")
    after = client.get(f"/api/knowledge/articles/{article['id']}", headers=bearer(stack, "operator")).json()
    assert after["deflections"] == 1
    assert not operator.errors and not requester.errors and not supervisor.errors and not dispatcher.errors
