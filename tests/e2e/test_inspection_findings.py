"""From an inspection round to a ticket on the real processes (issue 16): the engineer walks today's round
through the API the phone view uses, a reading out of range raises a finding, intake opens an inspection
ticket for the asset (its unit, the engineer as reporter), dispatch starts its SLA clocks, assets shows the
finding's ticket and the daily inspection report lists the finding with its ticket; a round whose deadline
passed is in the report as missed; the dashboard's inspection charts draw both and the finding's class; the
desk (no requester to ask) confirms the ticket's resolution on its page. The report's PDF and the ticket
page are kept for a look."""

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import expect

from tests.conftest import Stack
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import wait_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
AIRCON_ITEMS = [
    {"key": "room_temperature", "label": "机房温度", "kind": "reading", "unit": "°C", "low": 18, "high": 27},
    {"key": "no_alarm", "label": "无告警", "kind": "check"},
]


def _register(client: httpx.Client, unit_id: str, tag: str, name: str) -> dict[str, Any]:
    asset = client.post(
        "/api/assets",
        json={"tag": tag, "asset_class": "air_conditioner", "name": name, "security_zone": "机房设施",
              "owning_system": "机房基础环境", "unit_id": unit_id, "site": "市局", "room": "一号机房",
              "criticality": "critical"},
    )  # fmt: skip
    assert asset.status_code == 201, asset.text
    return dict(asset.json())


def _plan(client: httpx.Client, name: str, asset_id: str, **fields: Any) -> str:
    plan = client.post(
        "/api/inspections/plans",
        json={"name": name, "frequency": "daily", "post_name": "机房值班", "asset_ids": [asset_id], **fields},
    )
    assert plan.status_code == 201, plan.text
    return str(plan.json()["id"])


def _rounds(client: httpx.Client, plan_id: str, day: str | None = None) -> list[dict[str, Any]]:
    params = {"plan_id": plan_id, **({"day": day} if day else {})}
    return list(client.get("/api/inspections/rounds", params=params).json())


def test_an_abnormal_reading_becomes_a_ticket_with_its_sla_clock_and_its_line_in_the_daily_report(
    stack: Stack, desks: OpenDesk
) -> None:
    suffix = uuid.uuid4().hex[:4].upper()
    today = datetime.now(SHANGHAI).date()
    desk = {"Authorization": f"Bearer {stack.token('dispatcher')}"}
    engineer = {"Authorization": f"Bearer {stack.token('engineer')}"}
    with httpx.Client(base_url=stack.url, timeout=15) as client:
        unit = client.get("/api/admin/units", headers=desk).json()[0]
        client.headers.update(desk)
        aircon = _register(client, unit["id"], f"KT-E2E-{suffix}", "精密空调")
        spare = _register(client, unit["id"], f"KT-E2E-{suffix}B", "备用空调")
        template = {"name": f"空调巡检-{suffix}", "asset_class": "air_conditioner", "items": AIRCON_ITEMS}
        assert client.post("/api/inspections/templates", json=template).status_code == 201
        walked_plan = _plan(client, f"机房早巡-{suffix}", aircon["id"])
        # Started yesterday: yesterday's round is made and, its deadline long passed, recorded missed.
        missed_plan = _plan(client, f"备用机房巡检-{suffix}", spare["id"], starts_on=str(today - timedelta(days=1)))
        [round_] = wait_for("the worker to make today's round", lambda: _rounds(client, walked_plan), timeout=30)
        yesterday = str(today - timedelta(days=1))
        wait_for(
            "yesterday's round of the late plan to be missed",
            lambda: [r for r in _rounds(client, missed_plan, yesterday) if r["status"] == "missed"],
            timeout=30,
        )

        # The engineer's phone view: the round, its stop, the readings, completed.
        client.headers.update(engineer)
        detail = client.get(f"/api/inspections/rounds/{round_['id']}").json()
        [stop] = detail["stops"]
        checked = client.put(
            f"/api/inspections/rounds/{round_['id']}/stops/{stop['id']}",
            json={"results": {"room_temperature": 31.5, "no_alarm": True}, "note": "出风口温度偏高"},
        )
        assert checked.status_code == 200, checked.text
        done = client.post(f"/api/inspections/rounds/{round_['id']}/complete")
        assert done.status_code == 200, done.text

        # Assets shows which ticket the finding became once intake has opened it.
        client.headers.update(desk)

        def ticketed() -> list[dict[str, Any]]:
            found = client.get("/api/inspections/findings", params={"round_id": round_["id"]}).json()
            return [f for f in found if f["ticket_number"]]

        [finding] = wait_for("the finding's ticket", ticketed, timeout=30)
        assert finding["item_key"] == "room_temperature" and finding["ticket_opened"] is True
        ticket = client.get(f"/api/tickets/{finding['ticket_id']}").json()
        assert (ticket["channel"], ticket["status"], ticket["number"]) == (
            "inspection",
            "new",
            finding["ticket_number"],
        )
        assert (ticket["asset_tag"], ticket["asset_id"], ticket["unit_id"]) == (aircon["tag"], aircon["id"], unit["id"])
        assert ticket["requester_name"] == "刘洋" and ticket["priority"] == "P2"  # the engineer; a critical asset
        assert "31.5 °C" in ticket["description"]

        # It entered dispatch like any fault: its SLA clocks run.
        def clocks() -> list[dict[str, Any]]:
            resp = client.get(f"/api/sla/tickets/{ticket['id']}")
            return list(resp.json()["clocks"]) if resp.status_code == 200 else []

        running = wait_for("dispatch to start the ticket's SLA clocks", clocks, timeout=30)
        assert {c["metric"]: c["state"] for c in running}.get("resolution") == "running"

        # The daily inspection report: the round done with its abnormal item, the finding and its ticket.
        def report_of(day: str, ready: Any) -> dict[str, Any] | None:
            body = client.get("/api/reports/inspections", params={"day": day}).json()
            return body if ready(body) else None

        report = wait_for(
            "the finding's line in today's inspection report",
            lambda: report_of(
                str(today), lambda b: any(f["ticket_number"] == ticket["number"] for f in b["finding_lines"])
            ),
            timeout=30,
        )
        [line] = [r for r in report["rounds"] if r["round_id"] == round_["id"]]
        assert (line["status"], line["completed_by_name"], line["abnormal_items"]) == ("completed", "engineer", 1)
        [found] = [f for f in report["finding_lines"] if f["ticket_number"] == ticket["number"]]
        assert (found["tag"], found["reading"], found["ticket_opened"]) == (aircon["tag"], "31.5 °C (18–27 °C)", True)
        missed = wait_for(
            "the missed round in yesterday's report",
            lambda: report_of(
                yesterday, lambda b: any(r["plan_name"] == f"备用机房巡检-{suffix}" for r in b["rounds"])
            ),
            timeout=30,
        )
        [late] = [r for r in missed["rounds"] if r["plan_name"] == f"备用机房巡检-{suffix}"]
        assert (late["status"], late["stops"], late["stops_checked"]) == ("missed", 1, 0)
        assert missed["rounds_missed"] >= 1

        # The machine-room inspection report (an air-conditioning round): every reading with its range, the
        # abnormal temperature marked, the finding's ticket; yesterday's round missed.
        def machine_room() -> dict[str, Any] | None:
            body: dict[str, Any] = client.get("/api/reports/machine-room", params={"day": str(today)}).json()
            return body if any(g["tag"] == aircon["tag"] for g in body["readings"]) else None

        room = wait_for("the round's readings in today's machine-room report", machine_room, timeout=30)
        readings = {g["item_label"]: g for g in room["readings"] if g["tag"] == aircon["tag"]}
        hot = [g for g in readings.values() if g["value"] == "31.5"]
        assert hot and hot[0]["abnormal"] is True and hot[0]["normal"] == "18–27 °C", readings
        assert any(f["ticket_number"] == ticket["number"] for f in room["finding_lines"])
        earlier = client.get("/api/reports/machine-room", params={"from": yesterday, "to": yesterday}).json()
        assert any(r["plan_name"] == f"备用机房巡检-{suffix}" and r["status"] == "missed" for r in earlier["rounds"])

        # The finding's ticket is a fault of the air conditioner: equipment statistics count it in its class.
        def statistics() -> dict[str, Any] | None:
            period: dict[str, str | int] = {"from": str(today), "to": str(today), "top": 100}
            body: dict[str, Any] = client.get("/api/reports/equipment", params=period).json()
            return body if any(a["tag"] == aircon["tag"] for a in body["top_assets"]) else None

        stats = wait_for("the fault in the equipment statistics", statistics, timeout=30)
        [mine] = [a for a in stats["top_assets"] if a["tag"] == aircon["tag"]]
        assert (mine["asset_class"], mine["security_zone"], mine["faults"]) == ("air_conditioner", "机房设施", 1)
        assert any(c["asset_class"] == "air_conditioner" and c["faults"] >= 1 for c in stats["by_class"])

        # Rendered in a child process within the report time limit (60 s): a loaded machine takes its time.
        pdf = client.get("/api/reports/inspections", params={"day": str(today), "format": "pdf"}, timeout=90)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # The ticket as the desk sees it; the report's PDF beside the screenshots.
    dispatcher = desks("dispatcher")
    dispatcher.login()
    page = dispatcher.goto(f"/ui/tickets/{ticket['id']}")
    expect(page.locator("body")).to_contain_text(ticket["number"])
    expect(page.locator("body")).to_contain_text(aircon["tag"])
    expect(page.locator("#requester-contact")).to_contain_text("刘洋")
    expect(page.locator("#timeline")).to_contain_text("31.5 °C")
    dispatcher.shot("inspection-ticket")
    # Fixed without a site visit; no requester to ask, so the desk confirms and closes the loop.
    page.locator("#remote-resolve-form [name=summary]").fill("远程调整空调设定温度，已恢复正常。")
    page.locator("#remote-resolve-form button[type=submit]").click()
    page.locator("#desk-confirm-form [name=comment]").fill("复测机房温度 23 °C，正常。")
    page.locator("#desk-confirm-form button[type=submit]").click()
    expect(page.locator("#ticket-status")).to_contain_text("已关闭")
    expect(page.locator("#confirmation-note")).to_contain_text("复测机房温度 23 °C")
    dispatcher.shot("inspection-ticket-confirmed")
    # The dashboard lists the report beside the others, for the day picked there.
    page = dispatcher.goto(f"/ui/dashboard?day={today}")
    # Its inspection charts over the last 30 days: today's round done, yesterday's missed, the finding's class.
    expect(page.locator("#chart-inspection-rounds canvas")).to_be_visible()
    expect(page.locator("#chart-inspection-findings canvas")).to_be_visible()
    expect(page.locator("#inspection-figures")).to_contain_text("漏检")
    expect(page.locator("#inspection-findings")).to_contain_text("新建工单")
    page.locator("#inspection-rounds").scroll_into_view_if_needed()
    dispatcher.shot("dashboard-inspections")
    expect(page.locator("#downloads")).to_contain_text("日常巡检报告")
    with page.expect_download(timeout=90_000) as download:
        page.locator("[data-report=inspections-pdf]").click()
    downloaded = Path(download.value.path()).read_bytes()
    assert downloaded.startswith(b"%PDF")
    page.locator("#downloads").scroll_into_view_if_needed()
    dispatcher.shot("dashboard-reports")
    (dispatcher.shots / "daily-inspection-report.pdf").write_bytes(downloaded)
