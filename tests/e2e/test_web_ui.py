"""The web UI in a real headless Chromium against the running system: each role's main task, live
updates arriving without a reload (queue, countdown colours, escalations, screen pop, status), the
language switch, the phone-sized engineer flow, and the session's protections."""

import asyncio
import base64
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pyotp
from playwright.sync_api import Locator, Page, expect

from gateway.keys import read_session_key
from gateway.web.session import COOKIE, SessionCodec
from opsdesk_shared.testing.plugin import RunEnvironment
from tests.conftest import STACK_ADMIN, Stack
from tests.e2e.conftest import Desk, OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket, wait_for

ENGINEER = "刘洋"
ONE_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def bearer(stack: Stack, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(who)}"}


def open_suggestions(row: Locator, panel: Locator) -> None:
    """Opens a queue row's engineer suggestions. In a full run other tests' tickets keep the board's queue
    re-reading live; a click that lands while the row is being replaced is lost, so it is made again (a person
    would click again too) until the panel shows."""
    for _ in range(4):
        row.locator("button[data-assign]").click()
        try:
            expect(panel).to_be_visible(timeout=5_000)
            return
        except AssertionError:
            continue
    expect(panel).to_be_visible()


def live_counter(page: Page, counter: str) -> int:
    """One of the live stream's counters the page keeps on <body> (ui.js): liveEvents, liveReads, liveSkips."""
    return int(page.evaluate("(name) => Number(document.body.dataset[name] || 0)", counter))


def wait_for_live_reads(page: Page, at_least: int) -> None:
    """Until the page has swapped in `at_least` re-reads its event stream asked for (the stream's resync is one;
    a part of a panel loading itself, such as a ticket's work record, is not counted)."""
    wait_for(f"{at_least} live re-reads", lambda: live_counter(page, "liveReads") >= at_least)


def choose_unit(desk: Desk, typed: str, name: str) -> None:
    """The unit type-ahead: type part of a name or code, click the match."""
    form = desk.page.locator("#ticket-form")
    form.locator("[name=unit_q]").fill(typed)
    form.locator("#unit-options button", has_text=name).first.click()
    expect(form.locator("[name=unit_q]")).to_have_value(re.compile(f"^{name} · "))


def file_through_portal(desk: Desk, title: str, phone: str = "13800138021", **extra: str) -> str:
    page = desk.page
    form = page.locator("#ticket-form")
    form.locator("[name=title]").fill(title)
    form.locator("[name=description]").fill("办证窗口的制证机开机后无响应，业务暂停。")
    form.locator("[name=category]").select_option("fault")
    if not form.locator("[name=unit_id]").input_value():  # staff choose the unit; a requester's own is chosen
        choose_unit(desk, extra.get("unit", "望京"), extra.get("unit_name", "望京派出所"))
    form.locator("[name=impact]").select_option(extra.get("impact", "high"))
    form.locator("[name=urgency]").select_option(extra.get("urgency", "medium"))
    if "subcategory" in extra:
        form.locator("[name=subcategory]").select_option(extra["subcategory"])
    form.locator("[name=requester_name]").fill("王五")
    form.locator("[name=requester_phone]").fill(phone)
    form.locator("button[type=submit]").click()
    number = page.locator("#ticket-ok .ticket-number")
    expect(number).to_have_text(re.compile(r"^\d{8}-\d{4,}$"))
    return number.inner_text()


def test_a_fault_filed_on_the_portal_is_assigned_resolved_on_a_phone_and_confirmed(
    stack: Stack, desks: OpenDesk, tmp_path: Path
) -> None:
    dispatcher = desks("dispatcher")
    dispatcher.login()
    expect(dispatcher.page).to_have_url(re.compile(r"/ui/dispatch$"))
    dispatcher.mark_page()

    requester = desks("requester")
    requester.login()
    requester.shot("portal")
    # They file for themselves, mostly: the form starts with their own name and phone (the hotline's is blank).
    expect(requester.page.locator("#ticket-form [name=requester_name]")).to_have_value("李强")
    expect(requester.page.locator("#ticket-form [name=requester_phone]")).to_have_value("13800010002")
    attachment = tmp_path / "现场照片.png"
    attachment.write_bytes(ONE_PIXEL_PNG)
    requester.page.locator("#ticket-form [name=attachments]").set_input_files(str(attachment))
    title = f"制证机无法启动 {uuid.uuid4().hex[:4]}"
    number = file_through_portal(requester, title)
    requester.shot("filed")

    # The board shows the new ticket by itself, with a running countdown.
    row = dispatcher.page.locator(f"#queue tr[data-ticket='{number}']")
    expect(row).to_be_visible(timeout=20_000)
    expect(row.locator(".countdown b")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    assert dispatcher.not_reloaded()
    dispatcher.shot("queue")
    row.locator("button[data-assign]").click()
    dispatcher.page.locator(f"button[data-engineer='{ENGINEER}']").first.click()
    expect(dispatcher.page.locator(f"#queue tr[data-ticket='{number}']")).to_contain_text(ENGINEER)
    dispatcher.shot("assigned")

    # The engineer works it on a phone-sized screen.
    engineer = desks("engineer", phone=True)
    engineer.login()
    order = engineer.page.locator(f".orders li[data-ticket='{number}'] a")
    expect(order).to_be_visible()
    expect(engineer.page.locator(f".orders li[data-ticket='{number}']")).to_contain_text(title)  # what the job is
    engineer.shot("my-orders")
    order.click()
    engineer.page.locator("#accept").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已接单")
    engineer.page.locator("#arrive").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已到场")
    engineer.page.locator("#work-log-form [name=note]").fill("检查电源，发现电源模块损坏")
    engineer.page.locator("#work-log-form [name=minutes]").fill("20")
    engineer.page.locator("#work-log-form button").click()
    expect(engineer.page.locator("#order-panel .timeline")).to_contain_text("电源模块损坏")
    engineer.page.locator("#media-section summary").click()  # this job replaced a disk
    engineer.page.locator("#media-form [name=serial]").fill("WD-2026-0001")
    engineer.page.locator("#media-form [name=description]").fill("更换下的旧硬盘")
    engineer.page.locator("#media-form [name=handed_to]").fill("望京派出所 管理员")
    engineer.page.locator("#media-form button").click()
    expect(engineer.page.locator("#order-panel .timeline")).to_contain_text("WD-2026-0001")
    form = engineer.page.locator("#resolve-form")
    form.locator("[name=summary]").fill("更换电源模块，制证机恢复正常")
    form.locator("[name=part_name_0]").fill("电源模块")
    form.locator("[name=part_qty_0]").fill("1")
    form.locator("[name=part_cost_0]").fill("850.00")
    requester.goto(requester.page.locator("#ticket-ok .ticket-number").get_attribute("href") or "")
    requester.mark_page()
    form.locator("#resolve").click()
    expect(engineer.page.locator("#order-status")).to_contain_text("已解决")
    expect(engineer.page.locator("#order-panel")).to_contain_text("¥850.00")
    engineer.shot("resolved")

    # The requester's open ticket page turns to resolved by itself; they confirm with a rating.
    expect(requester.page.locator("#ticket-status")).to_contain_text("已解决", timeout=20_000)
    assert requester.not_reloaded()
    expect(requester.page.locator("#timeline")).to_contain_text("工程师已到场")
    expect(requester.page.locator(".ticket")).to_contain_text("现场照片.png")
    # One line per step, people by the names they are known by (not "派单 → 已派单" beside "已派工程师").
    timeline = requester.page.locator("#timeline")
    expect(timeline.locator("li[data-kind=engineer_assigned]")).to_have_count(1)
    expect(timeline.locator("li[data-kind=engineer_assigned]")).to_contain_text(ENGINEER)
    expect(timeline.locator("li[data-kind=engineer_assigned]")).to_contain_text("张伟")  # who assigned
    for doubled in ("assign", "start", "arrive"):
        expect(timeline.locator(f"li[data-kind={doubled}]")).to_have_count(0)
    expect(timeline.locator("li[data-kind=created]")).to_contain_text("李强")
    assert "requester" not in (timeline.inner_text() or "") and "dispatcher" not in timeline.inner_text()
    requester.shot("resolved")
    requester.page.locator("#confirm-form [name=rating]").select_option("5")
    requester.page.locator("#confirm-form [name=comment]").fill("处理及时")
    requester.page.locator("#confirm-form button").click()
    expect(requester.page.locator("#ticket-status")).to_contain_text("已关闭")
    requester.shot("closed")
    # The fault came back: the requester reopens it with a reason, and it is back in the loop.
    requester.page.locator("#reopen-form [name=reason]").fill("第二天又无法启动")
    requester.page.locator("#reopen-form button[type=submit]").click()
    expect(requester.page.locator("#ticket-status")).to_contain_text("已重开")
    expect(requester.page.locator("#timeline")).to_contain_text("第二天又无法启动")


def test_the_board_marks_a_p1_shows_numbers_as_dialled_and_reassigns_to_somebody_else(
    stack: Stack, desks: OpenDesk
) -> None:
    client = stack.client()
    units = client.get("/api/admin/units", headers=bearer(stack, "operator")).json()
    station = next(u["id"] for u in units if u["code"] == "BJ-CY-WJ")
    outage = file_ticket(client, stack.token("operator"), station, "13800138041", title="派出所内网全部中断")
    board = desks("dispatcher")
    board.login()
    expect(board.page.locator("#whoami")).to_contain_text("调度员")  # the name, and the role beside it
    row = board.page.locator(f"#queue tr[data-ticket='{outage['number']}']")
    expect(row).to_have_class(re.compile(r"\bprio-p1\b"), timeout=20_000)
    expect(row.locator(".prio-p1")).to_have_text("P1")
    open_suggestions(row, board.page.locator(f"#assign-{outage['id']} .suggestions"))
    # Whoever is ranked first (other tests' engineers and loads move the ranking).
    first = board.page.locator(f"#assign-{outage['id']} button[data-engineer]").first
    engineer = first.get_attribute("data-engineer") or ""
    first.click()
    expect(row).to_contain_text(engineer)
    # Reassigning: the engineer who has it is listed last, marked, with nothing to press.
    row.locator("button[data-assign]").click()
    suggestions = board.page.locator(f"#assign-{outage['id']} .suggestions li")
    expect(suggestions.last.locator("[data-current]")).to_be_visible()
    expect(suggestions.last).to_contain_text(engineer)
    expect(suggestions.last.locator("button")).to_have_count(0)
    board.shot("reassign")
    # The requester's number as people read and dial it.
    board.goto(f"/ui/tickets/{outage['id']}")
    expect(board.page.locator(".ticket")).to_contain_text("138 0013 8041")
    board.shot("ticket")


def test_staff_clock_in_and_out_on_their_own_console(stack: Stack, desks: OpenDesk) -> None:
    """Attendance (the weekly report's first section) is kept where the work is done: the engineer's phone,
    the hotline, the dispatch board. The board's engineer list follows."""
    dispatcher = bearer(stack, "dispatcher")

    def on_duty() -> bool:
        engineers = httpx.get(f"{stack.url}/api/engineers", headers=dispatcher, timeout=10).json()
        return bool(next(e for e in engineers if e["username"] == "engineer2")["on_duty"])

    engineer = desks("engineer2", phone=True)
    engineer.login()
    card = engineer.page.locator("#duty-card")
    expect(card.locator("#duty-state")).to_have_text("休息")
    assert not on_duty()
    card.locator("#clock-in").click()
    expect(engineer.page.locator("#duty-state")).to_have_text("在岗")
    expect(engineer.page.locator("#duty-card")).to_contain_text("上班打卡")
    engineer.shot("clocked-in")
    assert on_duty()
    engineer.page.locator("#clock-out").click()
    expect(engineer.page.locator("#duty-state")).to_have_text("休息")
    assert not on_duty()  # as free as it found them: the suggestions rank by duty

    for who in ("operator", "dispatcher"):
        console = desks(who)
        console.login()
        expect(console.page.locator("#duty-card #clock-in")).to_be_visible()


def test_the_dispatcher_keeps_skills_and_a_tickets_kind_of_work_ranks_those_engineers_first(
    stack: Stack, desks: OpenDesk
) -> None:
    dispatcher = bearer(stack, "dispatcher")

    def engineer2() -> dict:
        engineers = httpx.get(f"{stack.url}/api/engineers", headers=dispatcher, timeout=10).json()
        return dict(next(e for e in engineers if e["username"] == "engineer2"))

    before = engineer2()["skills"]
    try:
        board = desks("dispatcher")
        board.login()
        row = board.page.locator("#engineer-table tr[data-engineer=engineer2]")
        row.locator("summary").click()
        # A live refresh while the editor is open (a new ticket nudges the board) must not close it.
        client = stack.client()
        units = client.get("/api/admin/units", headers=bearer(stack, "operator")).json()
        station = next(u["id"] for u in units if u["code"] == "BJ-CY-WJ")
        nudge = file_ticket(client, stack.token("operator"), station, "13800138032", title="读卡器无响应")
        expect(board.page.locator(f"#queue tr[data-ticket='{nudge['number']}']")).to_be_visible(timeout=20_000)
        board.page.wait_for_timeout(1000)  # the engineers panel's refresh, nudged with the queue's, is back too
        for skill in ("hardware", "software", "network", "database", "security"):
            row.locator(f"input[value={skill}]").set_checked(skill == "security")
        row.locator("button[type=submit]").click()
        expect(board.page.locator("#engineer-table tr[data-engineer=engineer2] .skills")).to_have_text("安全")
        board.shot("skills")
        assert engineer2()["skills"] == ["security"]

        # The hotline files a security matter: 子类 on the form, and engineer2's skill matches it.
        operator = desks("operator")
        operator.login()
        number = file_through_portal(operator, "民警账号疑似被盗用", "13800138031", subcategory="security")
        [ticket] = httpx.get(f"{stack.url}/api/tickets", params={"q": number}, headers=dispatcher).json()["items"]
        assert ticket["subcategory"] == "security"
        ticket_id = ticket["id"]
        ranked = wait_for(
            "dispatch to rank engineers for the ticket",
            lambda: (
                (
                    r := httpx.get(
                        f"{stack.url}/api/dispatch/suggestions", params={"ticket_id": ticket_id}, headers=dispatcher
                    )
                ).is_success
                and r.json()
            ),
        )
        [match] = [s for s in ranked if s["engineer_id"] == engineer2()["user_id"]]
        assert match["skill_match"] is True
    finally:  # as the other tests found engineer2
        httpx.patch(
            f"{stack.url}/api/engineers/{engineer2()['user_id']}",
            json={"skills": before},
            headers=dispatcher,
            timeout=10,
        )


def test_the_dispatcher_makes_a_roster_on_the_board_and_an_overlap_is_refused_whole(
    stack: Stack, desks: OpenDesk
) -> None:
    name = f"市局驻场运维 {uuid.uuid4().hex[:4]}"
    post = httpx.post(
        f"{stack.url}/api/dispatch/duty/posts",
        json={"code": f"UI-{uuid.uuid4().hex[:6]}", "name": name, "pattern": "7x8", "starts": "09:00", "ends": "17:00"},
        headers=bearer(stack, STACK_ADMIN),
        timeout=10,
    )
    assert post.status_code == 201, post.text
    board = desks("dispatcher")
    board.login()
    # The 7×24 hotline post needs operators: the card offers them beside the engineers.
    operator = httpx.get(f"{stack.url}/api/auth/me", headers=bearer(stack, "operator"), timeout=10).json()
    expect(board.page.locator("#roster-form fieldset[data-role=hotline_operator]")).to_contain_text(
        operator["display_name"]
    )
    expect(board.page.locator("#roster-form fieldset[data-role=engineer]")).to_contain_text("陈静")

    def roster_engineer2(first: str, last: str) -> None:
        form = board.page.locator("#roster-form")  # found anew: each answer replaces the card
        form.locator("[name=post_id]").select_option(label=name)
        form.locator("[name=from]").fill(first)
        form.locator("[name=to]").fill(last)
        form.locator("label", has_text="陈静").locator("input").check()
        form.locator("button[type=submit]").click()

    roster_engineer2("2027-03-01", "2027-03-02")  # far enough ahead that nobody is on duty because of it
    expect(board.page.locator("#roster-ok")).to_contain_text("2")
    board.shot("roster")
    shifts = httpx.get(
        f"{stack.url}/api/dispatch/duty/shifts",
        params={"from": "2027-03-01T00:00:00+08:00", "to": "2027-03-03T00:00:00+08:00"},
        headers=bearer(stack, "dispatcher"),
        timeout=10,
    ).json()
    mine = [s for s in shifts if s["post_id"] == post.json()["id"]]
    assert [s["starts_at"][:16] for s in mine] == ["2027-03-01T01:00", "2027-03-02T01:00"]  # 09:00 in Beijing
    # The same days again: an overlap, so nothing is made, and the board says why with the choices kept.
    roster_engineer2("2027-03-02", "2027-03-03")
    expect(board.page.locator("#roster-form .error")).to_be_visible()
    expect(board.page.locator("#roster-form [name=from]")).to_have_value("2027-03-02")


def test_a_refused_form_keeps_what_was_typed_and_names_the_field(stack: Stack, desks: OpenDesk) -> None:
    requester = desks("requester")
    requester.login()
    form = requester.page.locator("#ticket-form")
    form.locator("[name=title]").fill("打印机卡纸")
    form.locator("[name=description]").fill("二号窗口打印机频繁卡纸")
    form.locator("[name=requester_name]").fill("王五")
    form.locator("[name=requester_phone]").fill("12345")
    form.locator("button[type=submit]").click()
    error = requester.page.locator("#ticket-form .field-error[data-field=requester_phone]")
    expect(error).to_be_visible()
    expect(requester.page.locator("#ticket-form [name=title]")).to_have_value("打印机卡纸")
    expect(requester.page.locator("#ticket-form [name=description]")).to_have_value("二号窗口打印机频繁卡纸")
    requester.shot("refused")
    # Corrected, filed, then cancelled by the requester with a reason.
    requester.page.locator("#ticket-form [name=requester_phone]").fill("13800138023")
    requester.page.locator("#ticket-form button[type=submit]").click()
    requester.page.locator("#ticket-ok .ticket-number").click()
    requester.page.locator("#cancel-form button[type=submit]").click()  # no reason yet: refused
    expect(requester.page.locator("#cancel-form [name=reason]:invalid")).to_be_visible()
    requester.page.locator("#cancel-form [name=reason]").fill("已自行解决")
    requester.page.locator("#cancel-form button[type=submit]").click()
    expect(requester.page.locator("#ticket-status")).to_contain_text("已取消")
    expect(requester.page.locator("#timeline")).to_contain_text("已自行解决")
    requester.shot("cancelled")


def test_countdowns_turn_amber_at_the_warning_and_red_at_the_breach_and_escalations_arrive_live(
    stack: Stack, desks: OpenDesk
) -> None:
    """A one-minute policy made on the admin page, warning after 3 s: the board is watched crossing the
    warning for real (the countdown turns amber and dispatch's escalation arrives without a reload), then
    the browser's clock is moved past the due instant to see the countdown turn red."""
    client = stack.client()
    taken = {
        (p["category"], p["priority"])
        for p in client.get("/api/sla/policies", headers=bearer(stack, "dispatcher")).json()
        if p["is_active"]
    }
    # A category and priority no other policy (of this or earlier tests) claims exactly.
    category, priority = next(
        (c, p) for c in ("complaint", "consultation", "service_request") for p in ("P4", "P3") if (c, p) not in taken
    )
    admin = desks(STACK_ADMIN)
    admin.login()
    admin.goto("/ui/admin?section=sla")
    form = admin.page.locator("#sla-form")
    policy_name = f"演示快速响应 {uuid.uuid4().hex[:4]}"
    form.locator("[name=name]").fill(policy_name)
    form.locator("[name=category]").select_option(category)
    form.locator("[name=priority]").select_option(priority)
    form.locator("[name=response_target_s]").fill("0.5")  # minutes: under the API's 60 s floor
    form.locator("button[type=submit]").click()
    expect(admin.page.locator("#sla-form .field-error[data-field=response_target_s]")).to_be_visible()
    form = admin.page.locator("#sla-form")
    form.locator("[name=response_target_s]").fill("1")
    form.locator("[name=warn_ratio]").fill("0.05")
    form.locator("button[type=submit]").click()
    expect(admin.page.locator("#admin-section table")).to_contain_text(policy_name)
    admin.shot("sla-policy")

    # The board lists 100 open escalations, breaches first: earlier tests leave more than that unacknowledged, and
    # the new warning would not be among them. A dispatcher coming on shift has acknowledged what was there.
    on_shift = bearer(stack, "dispatcher")
    for escalation in client.get("/api/sla/escalations", headers=on_shift, params={"limit": 500}).json():
        client.post(f"/api/sla/escalations/{escalation['id']}/acknowledge", headers=on_shift)
    dispatcher = desks("dispatcher")
    dispatcher.page.clock.install()  # real time flows; the test may move it forward later
    dispatcher.login()
    expect(dispatcher.page.locator("main[data-live=open]")).to_be_visible()
    dispatcher.mark_page()
    me = client.get("/api/auth/me", headers=bearer(stack, "requester")).json()
    ticket = file_ticket(
        client,
        stack.token("operator"),
        me["unit_id"],
        "13800138022",
        title="投诉：窗口等待时间过长",
        category=category,
        priority=priority,
    )
    countdown = dispatcher.page.locator(f"#queue tr[data-ticket='{ticket['number']}'] .countdown")
    expect(countdown).to_have_attribute("data-level", re.compile("ok|warn"), timeout=10_000)
    expect(countdown).to_have_attribute("data-level", "warn", timeout=10_000)
    escalation = dispatcher.page.locator("#escalations li.warning", has_text=ticket["number"])
    expect(escalation).to_be_visible(timeout=10_000)
    assert dispatcher.not_reloaded()
    dispatcher.shot("amber")
    dispatcher.page.clock.fast_forward("01:05")
    expect(countdown).to_have_attribute("data-level", "breach")
    expect(countdown.locator("b")).to_have_text(re.compile(r"^-00:00:\d\d$"))
    dispatcher.shot("red")
    client.post(f"/api/tickets/{ticket['id']}/cancel", headers=bearer(stack, "operator"), json={"reason": "测试结束"})
    # A one-minute policy must not hurry the later tests' tickets.
    admin_headers = bearer(stack, STACK_ADMIN)
    policy = next(p for p in client.get("/api/sla/policies", headers=admin_headers).json() if p["name"] == policy_name)
    client.patch(f"/api/sla/policies/{policy['id']}", headers=admin_headers, json={"is_active": False})


def test_the_screen_pop_arrives_on_the_hotline_console_and_the_call_is_logged(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    key = client.post(
        "/api/admin/api-keys",
        json={"name": f"pbx-web-{uuid.uuid4().hex[:4]}", "scopes": ["cti:events"]},
        headers=bearer(stack, "secadmin"),
    ).json()["key"]
    me = client.get("/api/auth/me", headers=bearer(stack, "requester")).json()
    # The requester already has an open ticket: the pop lists it and the form warns of a duplicate.
    earlier = file_ticket(
        client, stack.token("operator"), me["unit_id"], "13800010002", title="身份证阅读器读卡失败", priority="P3"
    )
    operator = desks("operator")
    operator.login()
    expect(operator.page).to_have_url(re.compile(r"/ui/hotline$"))
    expect(operator.page.locator("#screen-pop-panel[data-live=open]")).to_be_visible()
    operator.mark_page()
    call_id = f"web-{uuid.uuid4().hex[:8]}"
    resp = client.post(
        "/api/cti/events",
        headers={"X-API-Key": key},
        json={"event": "ringing", "call_id": call_id, "caller": "13800010002", "agent": "operator"},
    )
    assert resp.status_code == 202, resp.text
    pop = operator.page.locator("#screen-pop .pop")
    expect(pop).to_be_visible()
    expect(pop).to_contain_text("望京派出所")
    expect(pop).to_contain_text(earlier["number"])
    assert operator.not_reloaded()
    operator.shot("screen-pop")

    # A new question from the same caller: filed from the pop, answered on the phone.
    pop.locator("[data-use-caller]").click()
    form = operator.page.locator("#ticket-form")
    expect(form.locator("[name=requester_phone]")).to_have_value("138 0001 0002")  # as people read it, not +86…
    expect(form.locator("[name=unit_id]")).to_have_value(me["unit_id"])
    expect(form.locator("[name=unit_q]")).to_have_value(re.compile("^望京派出所 · "))
    expect(operator.page.locator("#duplicate-list")).to_contain_text(earlier["number"])
    form.locator("[name=title]").fill("咨询居住证续签材料")
    form.locator("[name=description]").fill("来电咨询续签需要哪些材料")
    form.locator("[name=category]").select_option("consultation")
    form.locator("[name=requester_name]").fill("李强")
    form.locator("button[type=submit]").click()
    expect(operator.page.locator("#ticket-ok")).to_be_visible()
    # Filed from the pop: the call is linked to the ticket in the same step, and the ticket shows it.
    expect(operator.page.locator("#call-linked")).to_be_visible()
    number = operator.page.locator("#ticket-ok .ticket-number").inner_text()
    filed = client.get("/api/tickets", params={"q": number}, headers=bearer(stack, "operator")).json()["items"][0]
    calls = client.get("/api/calls", params={"phone": "13800010002"}, headers=bearer(stack, "operator")).json()
    linked = next(c for c in calls if c["cti_call_id"] == call_id)
    assert (linked["ticket_id"], linked["outcome"]) == (filed["id"], "new_ticket")
    timeline = client.get(f"/api/tickets/{filed['id']}", headers=bearer(stack, "operator")).json()["timeline"]
    assert [e["detail"]["call_id"] for e in timeline if e["kind"] == "call_logged"] == [linked["id"]]
    # "Recent calls" re-reads itself: the call now points at its ticket; "recent hotline tickets" stays hotline.
    expect(operator.page.locator("#recent-calls a[href='/ui/tickets/" + filed["id"] + "']")).to_be_visible()
    expect(operator.page.locator("#hotline-tickets")).to_contain_text(number)
    operator.page.locator("#resolve-on-phone [name=summary]").fill("已告知所需材料：身份证、居住证、照片")
    operator.page.locator("#resolve-on-phone button").click()
    # Resolved on the phone: the outcome shown, the quick form back and empty for the next caller.
    expect(operator.page.locator("#hotline-outcome")).to_contain_text(number)
    expect(operator.page.locator("#hotline-outcome")).to_contain_text("已电话解决")
    expect(form.locator("[name=title]")).to_have_value("")
    expect(form.locator("[name=requester_phone]")).to_have_value("")
    expect(form.locator("[name=call_id]")).to_have_value("")
    expect(operator.page.locator("#ticket-status")).to_have_count(0)
    assert client.get(f"/api/tickets/{filed['id']}", headers=bearer(stack, "operator")).json()["status"] == "resolved"
    # A web ticket filed meanwhile is the portal's: the hotline's list, re-read live, does not take it.
    operator.page.evaluate("document.querySelectorAll('#hotline-tickets tr').forEach(r => r.dataset.old = '1')")
    web_ticket = file_ticket(
        client, stack.token("requester"), me["unit_id"], "13800010002", title="网页报修打印机", channel="web"
    )
    expect(operator.page.locator("#hotline-tickets tr[data-old]")).to_have_count(0)  # re-read since
    expect(operator.page.locator("#hotline-tickets")).to_contain_text(number)
    expect(operator.page.locator(f"#hotline-tickets tr[data-ticket='{web_ticket['number']}']")).to_have_count(0)
    operator.shot("resolved-on-phone")

    expect(operator.page.locator("#call-form [name=caller_phone]")).to_have_value("138 0001 0002")
    operator.page.locator("#call-form [name=outcome]").select_option("consultation_answered")
    operator.page.locator("#call-form [name=notes]").fill("咨询居住证续签材料，已解答")
    operator.page.locator("#call-form button[type=submit]").click()
    expect(operator.page.locator("#call-ok")).to_be_visible()
    operator.shot("call-logged")
    calls = client.get("/api/calls", params={"phone": "13800010002"}, headers=bearer(stack, "operator")).json()
    logged = next(c for c in calls if c["cti_call_id"] == call_id)
    assert logged["outcome"] == "consultation_answered" and "续签" in logged["notes"]
    for done in (earlier, web_ticket):
        client.post(f"/api/tickets/{done['id']}/cancel", headers=bearer(stack, "operator"), json={"reason": "测试结束"})


def test_the_language_switch_turns_the_console_to_english_and_back(stack: Stack, desks: OpenDesk) -> None:
    supervisor = desks("supervisor")
    supervisor.login()
    expect(supervisor.page.locator("nav")).to_contain_text("监管看板")
    # The end-to-end stack sends SMS to the local sink, and every page says so.
    expect(supervisor.page.locator("#sms-sink-banner")).to_be_visible()
    supervisor.page.locator("#lang-en").click()
    expect(supervisor.page.locator("nav")).to_contain_text("Supervision")
    expect(supervisor.page.locator("html")).to_have_attribute("lang", "en")
    supervisor.shot("english")
    supervisor.page.locator("#lang-zh-CN").click()
    expect(supervisor.page.locator("nav")).to_contain_text("监管看板")


def test_the_supervisor_sees_charts_and_downloads_reports(stack: Stack, desks: OpenDesk) -> None:
    supervisor = desks("supervisor")
    supervisor.login()
    expect(supervisor.page).to_have_url(re.compile(r"/ui/dashboard$"))
    expect(supervisor.page.locator("#chart-per-day canvas")).to_be_visible()
    expect(supervisor.page.locator("#chart-sla canvas")).to_be_visible()
    supervisor.shot("dashboard")
    # Each download is the format it claims: XLSX a zip, PDF a PDF, CSV UTF-8 with a byte-order mark.
    for report, signature in (("weekly-xlsx", b"PK\x03\x04"), ("costs-pdf", b"%PDF"), ("summary-csv", b"\xef\xbb\xbf")):
        with supervisor.page.expect_download() as download:
            supervisor.page.locator(f"[data-report={report}]").click()
        content = Path(download.value.path()).read_bytes()
        assert content.startswith(signature) and len(content) > 100, (report, content[:20])


def test_the_dispatcher_writes_next_weeks_plan_into_this_weeks_report(stack: Stack, desks: OpenDesk) -> None:
    dispatcher = desks("dispatcher")
    dispatcher.login()
    dispatcher.goto("/ui/dashboard")
    form = dispatcher.page.locator("#plan-form")
    week = form.locator("[name=week]").input_value()
    plan = f"巡检朝阳分局全部派出所制证设备 {uuid.uuid4().hex[:4]}"
    form.locator("[name=plan]").fill("")
    form.locator("button[type=submit]").click()
    expect(dispatcher.page.locator("#plan-form .error")).to_be_visible()  # an empty plan is refused, said so
    dispatcher.page.locator("#plan-form [name=plan]").fill(plan)
    dispatcher.page.locator("#plan-form button[type=submit]").click()
    expect(dispatcher.page.locator("#plan-saved")).to_be_visible()
    dispatcher.shot("plan-saved")
    report = httpx.get(
        f"{stack.url}/api/reports/weekly", params={"week": week}, headers=bearer(stack, "supervisor"), timeout=30
    ).json()
    assert report["next_week_plan"] == plan and report["plan_updated_by"] == "dispatcher"
    dispatcher.goto("/ui/dashboard")  # and it is there next time
    expect(dispatcher.page.locator("#plan-form [name=plan]")).to_have_value(plan)
    # The supervisor reads the report; writing the vendor's plan is not theirs.
    supervisor = desks("supervisor")
    supervisor.login()
    expect(supervisor.page.locator("#downloads")).to_be_visible()
    expect(supervisor.page.locator("#plan-form")).to_have_count(0)


def test_a_supervisor_sees_a_masked_requester_and_reveals_the_contact_with_a_reason(
    stack: Stack, desks: OpenDesk
) -> None:
    client, operator = stack.client(), stack.token("operator")
    unit = next(
        u["id"]
        for u in client.get("/api/admin/units", headers={"Authorization": f"Bearer {operator}"}).json()
        if u["code"] == "BJ-CY-WJ"
    )
    phone = f"1391{uuid.uuid4().int % 10**7:07d}"
    ticket = file_ticket(client, operator, unit, phone, requester_name="王小明")
    supervisor = desks("supervisor")
    supervisor.login()
    auth = {"Authorization": f"Bearer {operator}"}
    wait_for("the ticket's clocks", lambda: client.get(f"/api/sla/tickets/{ticket['id']}", headers=auth).is_success)
    page = supervisor.goto(f"/ui/tickets/{ticket['id']}")
    # The live stream opens with a resync, which re-reads the panel once (a refused form's message then
    # stays: live re-reads wait while a form shows its errors).
    expect(page.locator("body[data-live=open]")).to_be_attached(timeout=15000)
    wait_for_live_reads(page, 1)
    contact = page.locator("#requester-contact")
    expect(contact).to_contain_text("王**")
    # Shown as people read numbers (138 0013 8000), masked in the middle.
    expect(contact).to_contain_text(f"{phone[:3]} **** {phone[-4:]}")
    expect(contact).not_to_contain_text(f"{phone[3:7]} {phone[-4:]}")
    page.locator("#contact-form [name=reason]").fill("核实")
    page.locator("#contact-form button").click()
    expect(page.locator("#contact-form .field-error")).to_be_visible()  # too short a reason: refused, named
    page.locator("#contact-form [name=reason]").fill("回访核实处理结果")
    page.locator("#contact-form button").click()
    expect(page.locator("#requester-contact")).to_contain_text(f"王小明 {phone[:3]} {phone[3:7]} {phone[7:]}")
    expect(page.locator(".timeline")).to_contain_text("查看报修人联系方式")
    supervisor.shot("contact-revealed")


def test_admin_builds_the_unit_tree_and_accounts_and_the_auditor_sees_it_all(stack: Stack, desks: OpenDesk) -> None:
    suffix = uuid.uuid4().hex[:4].upper()
    admin = desks(STACK_ADMIN)
    admin.login()
    admin.goto("/ui/admin?section=units")
    form = admin.page.locator("#unit-form")
    form.locator("[name=code]").fill(f"BJ-CY-T{suffix}")
    form.locator("[name=name]").fill(f"测试派出所{suffix}")
    form.locator("[name=kind]").select_option("police_station")
    parent = form.locator("[name=parent_id] option", has_text="朝阳分局").get_attribute("value")
    form.locator("[name=parent_id]").select_option(parent)
    form.locator("button[type=submit]").click()
    expect(admin.page.locator("#unit-tree")).to_contain_text(f"测试派出所{suffix}")
    admin.shot("units")
    admin.goto("/ui/admin?section=users")
    form = admin.page.locator("#user-form")
    form.locator("[name=username]").fill(f"clerk{suffix.lower()}")
    form.locator("[name=display_name]").fill("测试 报修员")
    form.locator("[name=password]").fill("short")
    form.locator("input[name=roles][value=requester]").check()
    form.locator("button[type=submit]").click()
    expect(admin.page.locator("#user-form .field-error[data-field=password]")).to_be_visible()
    expect(admin.page.locator("#user-form [name=username]")).to_have_value(f"clerk{suffix.lower()}")
    admin.page.locator("#user-form [name=password]").fill("Str0ng-Passw0rd!")
    admin.page.locator("#user-form input[name=roles][value=requester]").check()
    admin.page.locator("#user-form button[type=submit]").click()
    expect(admin.page.locator("#admin-section")).to_contain_text(f"clerk{suffix.lower()}")
    admin.shot("users")
    # A key for the residence-permit system: shown once, then only its prefix; revoked again.
    admin.goto("/ui/admin?section=keys")
    admin.page.locator("#key-form [name=name]").fill(f"居住证系统-{suffix}")
    admin.page.locator("#key-form input[name=scopes][value='sms:send']").check()
    admin.page.locator("#key-form button[type=submit]").click()
    expect(admin.page.locator("#new-key code")).to_have_text(re.compile(r".{20,}"))
    key_row = admin.page.locator("#admin-section tr", has_text=f"居住证系统-{suffix}")
    key_row.locator("button[type=submit]").click()
    expect(admin.page.locator("#admin-section tr", has_text=f"居住证系统-{suffix}")).to_contain_text("已吊销")
    admin.goto("/ui/admin?section=users")
    # The clerk also answers the hotline now: a role added to an existing account.
    roles = admin.page.locator(f"details[data-user=clerk{suffix.lower()}]")
    roles.locator("summary").click()
    roles.locator("input[name=roles][value=hotline_operator]").check()
    roles.locator("button[type=submit]").click()
    row = admin.page.locator("#admin-section tr", has_text=f"clerk{suffix.lower()}")
    expect(row).to_contain_text("热线接线员")
    expect(row).to_contain_text("报修人")

    clerk = desks("clerk")
    clerk.login(f"clerk{suffix.lower()}", "Str0ng-Passw0rd!")
    expect(clerk.page).to_have_url(re.compile(r"/ui/hotline$"))  # the hotline console comes first

    auditor = desks("auditor")
    auditor.login()
    # The run's gateway tests tamper with the chain on purpose: the page shows the check either way.
    expect(auditor.page.locator("#chain")).to_contain_text(re.compile("哈希链校验: (完整|已被篡改)"))
    auditor.page.locator("[name=actor]").fill(STACK_ADMIN)
    auditor.page.locator(".filters button[type=submit]").click()
    # Actions in words: the resource (管理), what was done (units.post) and how it ended (成功).
    expect(auditor.page.locator("#audit-table")).to_contain_text("units.post")
    # The whole chain is checked only on request, in the background, the page following its progress.
    auditor.page.locator("#full-verification button").click()
    expect(auditor.page.locator("#full-verification-result")).to_contain_text(re.compile("完整校验: (完整|已被篡改)"))
    auditor.shot("audit")


def test_a_wrong_password_gets_a_generic_message_and_other_roles_consoles_are_refused(
    stack: Stack, desks: OpenDesk
) -> None:
    stranger = desks("nobody")
    stranger_name = f"nobody-{uuid.uuid4().hex[:6]}"
    stranger.goto("/ui/dispatch")
    expect(stranger.page).to_have_url(re.compile(r"/login\?next=%2Fui%2Fdispatch"))
    stranger.page.fill("[name=username]", stranger_name)
    stranger.page.fill("[name=password]", "wrong-password")
    stranger.page.click("#login-form button[type=submit]")
    expect(stranger.page.locator("#login-error")).to_have_text("用户名或密码错误。")
    stranger.shot("login-refused")
    # Five wrong passwords lock the account; the sixth attempt is told so, whatever the password.
    for _ in range(5):
        stranger.page.fill("[name=username]", stranger_name)
        stranger.page.fill("[name=password]", "wrong-password")
        stranger.page.click("#login-form button[type=submit]")
    expect(stranger.page.locator("#login-error")).to_contain_text("账号已暂时锁定")
    stranger.shot("locked")
    engineer = desks("engineer")
    engineer.login()
    response = engineer.page.goto(stack.url + "/ui/dispatch")
    assert response is not None and response.status == 403


def test_the_session_cookie_is_protected_and_locks_after_the_idle_time_out(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url, timeout=10, follow_redirects=False) as client:
        page = client.get("/login")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"
        credentials = {"username": "dispatcher", "password": stack.credentials["dispatcher"]}
        login = client.post("/login", data={**credentials, "next": "//evil.example"})
        assert login.status_code == 303 and login.headers["location"] == "/ui/dispatch"  # no open redirect
        cookie = login.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert client.get("/ui/dispatch").status_code == 200
        # A write without the page's CSRF token is refused.
        refused = client.post("/ui/dispatch/assign", data={"ticket_id": str(uuid.uuid4()), "engineer_id": "x"})
        assert refused.status_code == 403

        codec = SessionCodec(read_session_key(Path(stack.env["OPSDESK_WEB_SESSION_KEY_FILE"])))

        def put(cookie: str) -> None:  # as the browser would hold it: one cookie, replaced by the server's
            client.cookies.clear()
            client.cookies.set(COOKIE, cookie, domain="127.0.0.1", path="/")

        session = codec.loads(client.cookies[COOKIE])
        assert session is not None
        # An access token about to expire is refreshed; a parallel request still holding the old cookie
        # shares that refresh instead of being signed out by the rotation, but is not handed the new
        # refresh token: that reaches the browser in the first answer's cookie alone.
        session.access_expires_at = datetime.now(UTC).timestamp() + 10
        expiring = codec.dumps(session)
        put(expiring)
        assert client.get("/ui/dispatch").status_code == 200
        rotated = client.cookies[COOKIE]
        put(expiring)
        parallel = client.get("/ui/dispatch")
        assert parallel.status_code == 200 and f"{COOKIE}=" not in parallel.headers.get("set-cookie", "")
        refreshed = codec.loads(rotated)
        assert refreshed is not None and refreshed.refresh_token != session.refresh_token
        session = refreshed

        # The same session, idle for longer than the time-out: locked, not signed out (the console keeps
        # counting calls and escalations); nothing but the lock screen opens until the password is given.
        session.last_seen_at = (datetime.now(UTC) - timedelta(minutes=16)).timestamp()
        put(codec.dumps(session))
        answer = client.get("/ui/dispatch")
        assert answer.status_code == 303 and answer.headers["location"] == "/ui/lock?next=%2Fui%2Fdispatch"
        locked = codec.loads(client.cookies[COOKIE])
        assert locked is not None and locked.locked_at is not None
        assert client.get("/ui/dispatch/queue", headers={"HX-Request": "true"}).status_code == 401
        assert client.get("/ui/lock").status_code == 200


def test_an_expired_password_must_be_changed_before_any_console_opens(
    stack: Stack, desks: OpenDesk, migrated: RunEnvironment
) -> None:
    client = stack.client()
    admin = bearer(stack, STACK_ADMIN)
    units = {u["code"]: u["id"] for u in client.get("/api/admin/units", headers=admin).json()}
    username = f"old{uuid.uuid4().hex[:6]}"
    made = client.post(
        "/api/admin/users",
        headers=admin,
        json={
            "username": username,
            "password": "Old-s3cret-pass",
            "display_name": "老用户",
            "roles": ["requester"],
            "unit_id": units["BJ-CY-WJ"],
        },
    )
    assert made.status_code == 201, made.text

    async def expire() -> None:
        conn = await asyncpg.connect(f"{migrated.servers.database_url}/{migrated.database_prefix}_gateway")
        try:
            await conn.execute(
                "UPDATE app_user SET password_changed_at = now() - interval '100 days' WHERE username = $1", username
            )
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        pool.submit(asyncio.run, expire()).result()
    user = desks("old-user")
    user.page.goto(stack.url + "/login")
    user.page.fill("[name=username]", username)
    user.page.fill("[name=password]", "Old-s3cret-pass")
    user.page.click("#login-form button[type=submit]")
    expect(user.page).to_have_url(re.compile(r"/ui/password\?reason=expired"))
    user.shot("password-expired")
    user.goto("/ui/portal")
    expect(user.page).to_have_url(re.compile(r"/ui/password$"))  # nothing else opens meanwhile
    form = user.page.locator("#password-form")
    form.locator("[name=current_password]").fill("Old-s3cret-pass")
    form.locator("[name=new_password]").fill("Password123!")
    form.locator("[name=confirm_password]").fill("Password123!")
    form.locator("button[type=submit]").click()
    expect(user.page.locator(".field-error[data-field=new_password]")).to_contain_text("已泄露")
    form = user.page.locator("#password-form")
    form.locator("[name=current_password]").fill("Old-s3cret-pass")
    form.locator("[name=new_password]").fill("Fresh-l0ng-secret")
    form.locator("[name=confirm_password]").fill("Fresh-l0ng-secret")
    form.locator("button[type=submit]").click()
    expect(user.page).to_have_url(re.compile(r"/ui/portal$"))
    user.shot("portal-after-change")


def test_a_user_sets_up_one_time_codes_and_then_signs_in_with_them(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    username = f"totp{uuid.uuid4().hex[:6]}"
    made = client.post(
        "/api/admin/users",
        headers=bearer(stack, STACK_ADMIN),
        json={"username": username, "password": "Tw0-factor-pass", "display_name": "双因素", "roles": ["supervisor"]},
    )
    assert made.status_code == 201, made.text
    user = desks("totp-user")
    user.login(username, "Tw0-factor-pass")
    user.goto("/ui/profile")
    user.page.locator("#enrol-totp").click()
    expect(user.page.locator("#totp-qr svg")).to_be_visible()
    user.shot("totp-setup")
    secret = user.page.locator("#totp-secret").inner_text()
    app = pyotp.TOTP(secret)
    user.page.locator("#totp-form [name=otp]").fill(app.now())
    user.page.locator("#totp-form button[type=submit]").click()
    expect(user.page).to_have_url(re.compile(r"/ui/dashboard$"))
    user.page.locator("#logout").click()

    user.page.fill("[name=username]", username)
    user.page.fill("[name=password]", "Tw0-factor-pass")
    user.page.click("#login-form button[type=submit]")
    expect(user.page.locator("#login-error")).to_contain_text("动态口令")
    user.shot("otp-asked")
    user.page.fill("[name=password]", "Tw0-factor-pass")
    user.page.fill("[name=otp]", app.at(datetime.now(UTC) + timedelta(seconds=30)))  # the step after the used one
    user.page.click("#login-form button[type=submit]")
    expect(user.page).to_have_url(re.compile(r"/ui/dashboard$"))


def test_a_live_refresh_does_not_throw_away_what_is_being_typed(stack: Stack, desks: OpenDesk) -> None:
    client, operator_token = stack.client(), stack.token("operator")
    operator_auth = {"Authorization": f"Bearer {operator_token}"}
    unit = next(
        u["id"] for u in client.get("/api/admin/units", headers=operator_auth).json() if u["code"] == "BJ-CY-WJ"
    )
    ticket = file_ticket(client, operator_token, unit, f"1392{uuid.uuid4().int % 10**7:07d}")
    wait_for(
        "the ticket's clocks", lambda: client.get(f"/api/sla/tickets/{ticket['id']}", headers=operator_auth).is_success
    )
    dispatcher = desks("dispatcher")
    dispatcher.login()
    page = dispatcher.goto(f"/ui/tickets/{ticket['id']}")
    expect(page.locator("body[data-live=open]")).to_be_attached(timeout=15000)
    # The stream's resync re-read swapped in before typing starts: it cannot be the re-read held back below.
    wait_for_live_reads(page, 1)
    skipped = live_counter(page, "liveSkips")
    box = page.locator("#comment-form [name=body]")
    box.fill("正在输入的留言")
    box.focus()
    # Someone else comments: the ticket's live event arrives while the dispatcher is typing.
    other = client.post(f"/api/tickets/{ticket['id']}/comments", headers=operator_auth, json={"body": "话务员补充说明"})
    assert other.status_code == 201, other.text
    # Its live re-read arrives and is held back, not swapped in over the unsent text.
    wait_for("the live re-read held back", lambda: live_counter(page, "liveSkips") > skipped)
    expect(box).to_have_value("正在输入的留言")
    expect(page.locator("#timeline")).not_to_contain_text("话务员补充说明")
    # Once they send theirs, the panel is re-read with both.
    page.locator("#comment-form button").click()
    expect(page.locator("#timeline")).to_contain_text("话务员补充说明")
    expect(page.locator("#timeline")).to_contain_text("正在输入的留言")
