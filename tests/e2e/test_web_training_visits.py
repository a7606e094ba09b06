"""Training and user visits on the real processes, through the browser as the people do it: an engineer
arranges a session and uploads its handout, the station's clerk scans the room's QR code (which asks them to
sign in first) and signs in once, then rates it; an engineer records a visit to the station with a hidden
risk and raises it as a ticket in one step (intake files it, the number comes back to the visit), and proposes
another as an improvement measure in one step; and the quarterly report shows the session with its sign-ins,
the one risk with its ticket and the other with its measure."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import wait_for

SHANGHAI = ZoneInfo("Asia/Shanghai")


def quarter_now() -> str:
    today = datetime.now(SHANGHAI).date()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def test_a_session_with_sign_ins_and_a_visit_that_raised_a_ticket_are_in_the_quarterly_report(
    stack: Stack, desks: OpenDesk
) -> None:
    engineer_api = {"Authorization": f"Bearer {stack.token('engineer')}"}
    with httpx.Client(base_url=stack.url, timeout=15) as client:
        units = {u["code"]: u for u in client.get("/api/admin/units", headers=engineer_api).json()}
    started = datetime.now(UTC) - timedelta(minutes=10)
    topic = f"受理系统操作培训-{started:%H%M%S}"

    # The engineer arranges the session in the console and hands in its material.
    engineer = desks("engineer")
    engineer.login()
    page = engineer.goto("/ui/training")
    form = page.locator("#training-new form")
    form.locator("[name=topic]").fill(topic)
    form.locator("[name=trainer]").fill("刘洋")
    form.locator("[name=place]").fill("朝阳分局三楼会议室")
    form.locator("[name=starts_at]").fill(started.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=ends_at]").fill((started + timedelta(hours=2)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"))
    form.locator("[name=audience_unit_ids]").select_option([units["BJ-CY"]["id"]])
    engineer.shot("arranging")
    form.locator("#create-session").click()
    expect(page.locator("#session-facts h1")).to_have_text(topic)
    session_id = page.url.rstrip("/").split("/")[-1]
    page.locator("#material-form [name=file]").set_input_files(
        {"name": "操作要点.txt", "mimeType": "text/plain", "buffer": "受理前核验二代证".encode()}
    )
    page.locator("#material-form button").click()
    expect(page.locator("#session-materials")).to_contain_text("操作要点.txt")
    expect(page.locator("#session-qr svg")).to_be_visible()
    engineer.shot("session-with-qr")

    # The clerk scans the QR code: the sign-in page asks who they are first, then takes one sign-in.
    clerk = desks("requester", phone=True)
    page = clerk.goto(f"/ui/training/{session_id}/sign-in")
    page.fill("[name=username]", "requester")
    page.fill("[name=password]", stack.credentials["requester"])
    page.click("#login-form button[type=submit]")
    expect(page.locator("#confirm-sign-in")).to_be_visible()
    clerk.shot("qr-sign-in")
    page.locator("#confirm-sign-in").click()
    expect(page.locator("#signed-in")).to_have_text("签到成功")
    clerk.shot("signed-in")
    page = clerk.goto(f"/ui/training/{session_id}")
    page.locator("#feedback-form [name=rating]").select_option("5")
    page.locator("#feedback-form [name=comment]").fill("讲解清楚，资料实用")
    page.locator("#feedback-form button").click()
    expect(page.locator("#session-facts")).to_contain_text("感谢您的评价")

    page = engineer.goto(f"/ui/training/{session_id}")
    expect(page.locator("#session-attendees")).to_contain_text("李强")
    expect(page.locator("#attendee-count")).to_have_text("1")
    engineer.shot("attendees")

    # A visit to the station, recorded in the console with a hidden risk raised as a ticket.
    page = engineer.goto("/ui/visits")
    page.locator("#arrange-form [name=unit_id]").select_option(units["BJ-CY-WJ"]["id"])
    page.locator("#arrange-form [name=scheduled_on]").fill(datetime.now(SHANGHAI).date().isoformat())
    page.locator("#arrange-visit").click()
    record = page.locator("#record-form")
    record.locator("[name=contact_name]").fill("李强")
    record.locator("[name=contact_phone]").fill("12")
    record.locator("[name=checked]").fill("制证机、读卡器、终端网络")
    record.locator("[name=risks]").fill("UPS电池老化，续航不足10分钟\n机柜未接地")
    record.locator("#record-visit").click()
    expect(page.locator("#record-form [data-field=contact_phone]")).to_be_visible()  # refused beside the field
    expect(page.locator("#record-form [name=checked]")).to_have_value("制证机、读卡器、终端网络")  # kept
    engineer.shot("visit-phone-refused")
    page.locator("#record-form [name=contact_phone]").fill("13800010002")
    page.locator("#record-visit").click()
    expect(page.locator("#visit-risks")).to_contain_text("UPS电池老化")
    visit_url = page.url
    page.locator("#visit-risks tr", has_text="UPS电池老化").locator(".raise-ticket").click()
    expect(page.locator("#visit-risks")).to_contain_text("已提交转工单")
    # The other risk becomes an improvement measure with the button beside: proposed, linked both ways.
    page.locator("#visit-risks tr", has_text="机柜未接地").locator(".raise-measure").click()
    expect(page.locator("#visit-risks")).to_contain_text("已转为改进措施")
    grounding = page.locator("#visit-risks tr", has_text="机柜未接地")
    expect(grounding.locator(".raise-measure")).to_have_count(0)
    engineer.shot("visit-risk-measure")
    grounding.locator("a.risk-measure").click()
    expect(page.locator("#measure-visit")).to_have_attribute("href", visit_url.removeprefix(stack.url))
    expect(page.locator("body")).to_contain_text("机柜未接地")
    engineer.shot("measure-from-visit")

    def ticketed() -> str | None:
        page.goto(visit_url)
        link = page.locator("#visit-risks a[href^='/ui/tickets/']")
        return link.inner_text() if link.count() else None

    number = wait_for("intake to file the risk's ticket", ticketed, timeout=30)
    engineer.shot("visit-ticketed")

    # Both appear in the quarterly report.
    supervisor = {"Authorization": f"Bearer {stack.token('supervisor')}"}

    def reported() -> dict[str, Any] | None:
        with httpx.Client(base_url=stack.url, timeout=30) as client:
            body = client.get("/api/reports/quarterly", params={"quarter": quarter_now()}, headers=supervisor).json()
        held = [s for s in body["training"]["sessions"] if s["topic"] == topic]
        risks = [r for r in body["visits"]["risks"] if r["ticket_number"] == number]
        measured = [r for r in body["visits"]["risks"] if (r["measure_title"] or "").endswith("机柜未接地")]
        ready = held and held[0]["attendees"] == 1 and held[0]["mean_rating"] == 5 and risks and measured
        return body if ready else None

    body = wait_for("the report to count the session and the visit", reported, timeout=30)
    [held] = [s for s in body["training"]["sessions"] if s["topic"] == topic]
    assert held["materials"] == ["操作要点.txt"]
    [risk] = [r for r in body["visits"]["risks"] if r["ticket_number"] == number]
    assert risk["description"] == "UPS电池老化，续航不足10分钟" and risk["ticket_status"] == "new"
    assert any(r["description"] == "机柜未接地" and r["ticket_number"] is None for r in body["visits"]["risks"])
    assert any(u["unit"] == "望京派出所" and u["done"] >= 1 for u in body["visits"]["by_unit"])
