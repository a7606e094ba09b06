"""The ticket page's talk and duplicates, in a real Chromium (zh-CN): an operator's note stays internal (the
requester's page never shows it, no SMS carries it), a reply to the requester takes a canned reply's text, and
a ticket marked a duplicate ends cancelled into the one that carries on, which its requester may then read
although it was filed for another unit, and of which they are told by SMS."""

import uuid

from playwright.sync_api import expect

from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket, sink_messages, wait_for

NOTE = "与分局那单同一批次故障，先别告诉报修人"
REPLY = "工程师已出发，预计一小时内到达，请保持电话畅通。"


def bearer(stack: Stack, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(who)}"}


def test_notes_stay_internal_replies_take_canned_text_and_a_duplicate_carries_on(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    suffix = uuid.uuid4().hex[:4]
    canned_title = f"工程师已出发-{suffix}"
    made = client.post(
        "/api/canned-replies", headers=bearer(stack, STACK_ADMIN), json={"title": canned_title, "body": REPLY}
    )
    assert made.status_code == 201, made.text
    home = client.get("/api/auth/me", headers=bearer(stack, "requester")).json()["unit_id"]
    elsewhere = next(
        u["id"]
        for u in client.get("/api/admin/units", headers=bearer(stack, "operator")).json()
        if u["kind"] == "police_station" and u["id"] != home
    )
    phone = f"1392{uuid.uuid4().int % 10**7:07d}"
    survivor = file_ticket(client, stack.token("operator"), elsewhere, "13800138029", title="制证机卡纸（另一所先报）")
    duplicate = file_ticket(client, stack.token("operator"), home, phone, title="制证机卡纸")

    operator = desks("operator")
    operator.login()
    page = operator.goto(f"/ui/tickets/{duplicate['id']}")
    form = page.locator("#comment-form")
    expect(form.locator("#comment-public")).not_to_be_checked()  # staff write internal notes unless they choose
    form.locator("[name=body]").fill(NOTE)
    form.locator("button[type=submit]").click()
    expect(page.locator("#timeline li.comment-internal")).to_contain_text(NOTE)

    # The note's own event re-reads the panel once (a live refresh); a pick made while that refresh is in
    # flight is re-rendered away with the panel, so the pick is made again once the panel has settled.
    body = page.locator("#comment-form [name=body]")
    for _ in range(3):
        page.locator("#canned-reply").select_option(label=canned_title)
        try:
            expect(body).to_have_value(REPLY, timeout=5000)
            break
        except AssertionError:
            continue
    expect(body).to_have_value(REPLY)
    page.locator("#comment-public").check()
    page.locator("#comment-form button[type=submit]").click()
    expect(page.locator("#timeline li.comment-public")).to_contain_text(REPLY)
    operator.shot("internal-note-and-reply")

    requester = desks("requester")
    requester.login()
    mine = requester.goto(f"/ui/tickets/{duplicate['id']}")
    expect(mine.locator("#timeline")).to_contain_text(REPLY)
    expect(mine.locator("#timeline")).not_to_contain_text(NOTE)
    expect(mine.locator("#comment-public")).to_have_count(0)
    requester.shot("requester-sees-the-reply-only")
    elsewhere = requester.page.goto(stack.url + f"/ui/tickets/{survivor['id']}")
    assert elsewhere is not None and elsewhere.status == 404  # not theirs, yet

    page.locator("#duplicate-form [name=of_number]").fill(survivor["number"])
    page.locator("#duplicate-form button[type=submit]").click()
    expect(page.locator("#ticket-status")).to_have_text("已取消")
    expect(page.locator("#duplicate-of")).to_contain_text(survivor["number"])
    expect(page.locator("#timeline")).to_contain_text(f"重复工单，并入 {survivor['number']}")
    operator.shot("marked-duplicate")

    mine = requester.goto(f"/ui/tickets/{duplicate['id']}")
    mine.locator("#duplicate-of a").click()
    expect(mine.locator(".ticket-number")).to_have_text(survivor["number"])
    expect(mine.locator("#duplicates")).to_contain_text(duplicate["number"])
    requester.shot("requester-reads-the-survivor")

    # News to a number within a minute of its last SMS waits out the merge window, then goes as one SMS.
    told = wait_for(
        "the duplicate SMS",
        lambda: [m for m in sink_messages(stack) if m["to"] == f"+86{phone}" and survivor["number"] in m["body"]],
        timeout=120,
    )
    assert "重复" in told[0]["body"]
    assert not any(NOTE in m["body"] for m in sink_messages(stack))
