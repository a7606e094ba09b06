"""`make run`'s demo morning, played on the end-to-end stack through the public API: every console gets
its example (tickets in each state, engineers on duty with skills, calls in the tickets' timelines, both
sides of the cost line), and a desk already in use gets no second morning.

It leaves the demo engineers busy, so it runs after the tests that expect them free (`demo_data`)."""

from typing import Any

import pytest
from playwright.sync_api import expect

from devstack.demo_activity import play
from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import wait_for

pytestmark = pytest.mark.demo_data


def bearer(stack: Stack, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token(who)}"}


def test_the_demo_morning_gives_every_console_something_to_show(stack: Stack, desks: OpenDesk) -> None:
    client = stack.client()
    supervisor, dispatcher = bearer(stack, "supervisor"), bearer(stack, "dispatcher")
    numbers = play(stack.url, stack.credentials, only_into_an_empty_desk=False)
    assert len(numbers) == 8
    # The knowledge base's first articles: published, one in review, one that answered a call.
    kb = client.get("/api/knowledge/stats", headers=supervisor).json()
    assert kb["articles_by_state"]["published"] >= 4 and kb["articles_by_state"]["in_review"] >= 1
    # A measure awaiting the project manager's review, proposed from the abnormal reading of the machine room's
    # morning round, which became an inspection ticket.
    waiting = client.get("/api/measures", params={"state": "proposed"}, headers=bearer(stack, "manager")).json()
    [measure] = [m for m in waiting if m["title"] == "机房精密空调滤网每月清洗"][:1]
    assert measure["finding_id"] and measure["round_id"]
    [walked] = [
        r for r in client.get("/api/inspections/rounds", headers=dispatcher).json() if r["id"] == measure["round_id"]
    ]
    assert (walked["plan_name"], walked["status"], walked["abnormal_items"]) == ("主机房每日巡检", "completed", 1)

    def ticketed() -> list[dict[str, Any]]:
        found = client.get("/api/inspections/findings", params={"round_id": walked["id"]}, headers=dispatcher)
        return [f for f in found.json() if f["id"] == measure["finding_id"] and f["ticket_number"]]

    [finding] = wait_for("intake to make the finding a ticket", ticketed)
    assert finding["item_key"] == "room_temperature"
    assert kb["uses_in_calls"] >= 1
    # One training session under way with two sign-ins and its handout; this morning's visit to 望京派出所
    # recorded, its hidden risk filed as a ticket of channel visit (by intake, a moment later).
    [training] = [
        s
        for s in client.get("/api/training/sessions", headers=supervisor).json()
        if s["topic"] == "居住证受理系统新版操作培训"
    ][:1]
    assert training["attendees"] == 2 and training["state"] == "open"
    visits = client.get("/api/visits", params={"status": "done"}, headers=supervisor).json()
    [visit] = [v for v in visits if v["unit_name"] == "望京派出所" and v["plan_id"]][:1]  # the yearly plan's
    assert visit["risks_found"] == 1 and visit["satisfaction"] == 5
    wait_for(
        "intake to file the visit's risk",
        lambda: client.get(f"/api/visits/{visit['id']}", headers=supervisor).json()["risks"][0]["ticket_number"],
    )
    # The demo ledger came first: about 40 assets, among them every asset the morning's tickets name.
    ledger = client.get("/api/assets", params={"limit": 500}, headers=dispatcher).json()
    assert ledger["total"] >= 40
    tags = {a["tag"] for a in ledger["items"]}
    assert {"ZZJ-WJ-002", "DYJ-WJ-005", "CC-SJ-001", "DKQ-LG1-003"} <= tags
    # The parts store: stocked, one part below its minimum, the printer's power module issued to its repair and
    # reconciled as used when the repair was resolved.
    low = client.get("/api/spares/parts", params={"low": "true"}, headers=dispatcher).json()
    assert "DKQ-RD-01" in {p["part_number"] for p in low}
    wait_for(
        "the printer repair's parts to be reconciled",
        lambda: [
            line
            for line in client.get("/api/spares/reconciliations", headers=dispatcher).json()
            if line["part_number"] == "ZZJ-PSU-01" and line["outcome"] == "matched"
        ],
    )

    def tickets() -> dict[str, dict[str, Any]]:
        found = {}
        for number in numbers:
            [ticket] = client.get("/api/tickets", params={"q": number}, headers=supervisor).json()["items"]
            found[ticket["title"]] = ticket
        return found

    expected = {
        "制证机开机无响应，窗口停办": "closed",  # repaired on site, confirmed by the station
        "业务专网中断，居住证系统无法登录": "on_site",
        "居住证打印机频繁卡纸": "in_progress",
        "业务系统登录提示密码已过期": "resolved",  # answered on the phone
        "市局存储服务器磁盘阵列告警": "resolved",
        "申请新增办证窗口终端": "pending",
        "读卡器无法识别身份证": "new",
        "窗口终端反复死机，希望彻底解决": "new",
    }
    by_title = wait_for(
        "intake to follow dispatch's steps",
        lambda: (t := tickets()) and {title: x["status"] for title, x in t.items()} == expected and t,
    )

    def work_order(title: str) -> dict[str, Any]:
        [order] = client.get(
            "/api/work-orders", params={"ticket_id": by_title[title]["id"]}, headers=supervisor
        ).json()["items"]
        return dict(order)

    printer, storage = work_order("制证机开机无响应，窗口停办"), work_order("市局存储服务器磁盘阵列告警")
    assert (printer["cost_borne_by"], printer["total_cost"]) == ("vendor", "850.00")
    assert (storage["cost_borne_by"], storage["total_cost"]) == ("bureau", "12800.00")

    engineers = {e["username"]: e for e in client.get("/api/engineers", headers=dispatcher).json()}
    assert engineers["engineer"]["on_duty"] and engineers["engineer"]["skills"] == ["hardware", "network"]
    assert engineers["engineer2"]["on_duty"] and "database" in engineers["engineer2"]["skills"]
    calls = client.get("/api/calls", params={"phone": "13911110002"}, headers=bearer(stack, "operator")).json()
    assert sorted(c["outcome"] for c in calls) == ["follow_up", "new_ticket"]

    # The operator's note on the complaint is for staff: internal, so the station neither reads it nor gets it by SMS.
    complaint = client.get(
        f"/api/tickets/{by_title['窗口终端反复死机，希望彻底解决']['id']}", headers=bearer(stack, "operator")
    ).json()
    assert [(c["body"], c["public"]) for c in complaint["comments"]] == [
        ("本月第三次死机，请调度安排工程师复查，考虑整机更换。", False)
    ]

    # The desk is in use now: `make run` adds nothing to it.
    assert play(stack.url, stack.credentials) == []
    # (Intake answers at once; a second morning would have filed its tickets before play returned.)
    again = client.get("/api/tickets", params={"q": "居住证打印机频繁卡纸"}, headers=supervisor).json()["items"]
    assert [t["number"] for t in again] == [by_title["居住证打印机频繁卡纸"]["number"]]

    # The board shows the waiting ticket's paused clock in words (the pause sign is missing from common
    # Chinese fonts, and showed as an empty box).
    waiting = by_title["申请新增办证窗口终端"]["number"]
    queue = client.get("/api/dispatch/queue", params={"include_assigned": "true", "limit": 200}, headers=dispatcher)
    assert waiting in [row["number"] for row in queue.json()], "the waiting ticket is not on the board's first page"
    board = desks("dispatcher")
    board.login()
    row = board.page.locator("#queue-table tr", has_text=waiting)
    expect(row.locator(".countdown b")).to_have_text("已暂停")
    board.shot("board")

    # The ticket's page says where, and keeps the calls about it in its timeline.
    hotline = desks("operator")
    hotline.login()
    hotline.goto(f"/ui/tickets/{by_title['业务专网中断，居住证系统无法登录']['id']}")
    expect(hotline.page.locator("#ticket-location")).to_have_text("中关村派出所机房")
    expect(hotline.page.locator("#timeline li", has_text="热线通话")).to_have_count(2)
    expect(hotline.page.locator("#timeline")).to_contain_text("询问处理进度，已告知工程师在现场排查。")
    hotline.shot("ticket")
