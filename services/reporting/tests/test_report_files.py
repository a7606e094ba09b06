"""The contract's reports (weekly, quarterly, annual, costs, SLA breaches) against a scenario's ground
truth, their CSV, XLSX and PDF files opened the way the bureau opens them, and the weekly report that
generates itself on Monday morning."""

import csv
import io
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import openpyxl
import pypdf
import pytest

from opsdesk_shared.contracts.dispatch import AttendanceClockedIn, AttendanceClockedOut, ShiftScheduled
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.workers import eventually, publish
from reporting.archive.service import WeeklyArchiver, last_due, week_due_at

from .support.harness import Reporting, feed, sla_settled
from .support.scenario import Scenario, build

WEEK = date(2032, 7, 5)  # 2032-W28, in 2032Q3 and the contract year starting 2032-05-29
WEEK_LABEL = "2032-W28"
LOCAL = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
async def scenario(reporting: Reporting) -> AsyncIterator[Scenario]:
    s = build(WEEK, seed=32)
    await feed(reporting, s, sla_settled(s))
    expected_costs = sum(1 for t in s.tickets if t.cost is not None)

    async def costs_and_attendance_in() -> bool:
        costs = (await reporting.get("/api/reports/costs", **{"from": "2032-07-05", "to": "2032-07-11"})).json()
        week = (await reporting.get("/api/reports/weekly", week=WEEK_LABEL)).json()
        return len(costs["lines"]) == expected_costs and sum(a["clock_ins"] for a in week["attendance"]) == sum(
            roster.attended for roster in s.attendance.values()
        )

    await eventually(costs_and_attendance_in, timeout=30)
    yield s


def assert_attendance(reported: list[dict[str, Any]], scenario: Scenario) -> None:
    by_name = {a["display_name"]: a for a in reported}
    for name, roster in scenario.attendance.items():
        got = by_name[name]
        assert (got["shifts_rostered"], got["shifts_attended"], got["shifts_missed"], got["late_starts"]) == (
            roster.rostered,
            roster.attended,
            roster.missed,
            roster.late,
        ), name
        assert (got["clock_ins"], got["days_present"]) == (roster.attended, len(roster.days)), name
        assert got["hours_on_duty"] == pytest.approx(roster.hours) and got["rostered_hours"] == roster.rostered * 8


def finished(status: str) -> bool:
    return status in ("resolved", "closed", "cancelled")


async def test_weekly_report_has_attendance_tasks_completion_breaches_and_the_plan(
    reporting: Reporting, scenario: Scenario
) -> None:
    plan = "1. 巡检东区分局全部派出所\n2. 更换西区分局备份磁带"
    unwritten = (await reporting.get("/api/reports/weekly/2026-W01/plan")).json()
    assert (unwritten["plan"], unwritten["updated_by"]) == ("", None)
    put = await reporting.client.put(
        f"/api/reports/weekly/{WEEK_LABEL}/plan", json={"plan": plan}, headers=reporting.as_("dispatcher", name="d")
    )
    assert put.status_code == 200, put.text
    refused = await reporting.client.put(
        f"/api/reports/weekly/{WEEK_LABEL}/plan", json={"plan": "x"}, headers=reporting.as_("supervisor")
    )
    assert refused.status_code == 403
    empty = await reporting.client.put(
        f"/api/reports/weekly/{WEEK_LABEL}/plan", json={"plan": ""}, headers=reporting.as_("dispatcher")
    )
    assert empty.status_code == 422
    read = await reporting.client.get(f"/api/reports/weekly/{WEEK_LABEL}/plan", headers=reporting.as_("supervisor"))
    assert (read.json()["plan"], read.json()["updated_by"]) == (plan, "d")

    week = (await reporting.get("/api/reports/weekly", week=WEEK_LABEL)).json()
    assert week["week"] == WEEK_LABEL and week["next_week_plan"] == plan
    assert week["summary"]["total"] == len(scenario.tickets)
    assert_attendance(week["attendance"], scenario)
    faults = [t for t in scenario.tickets if t.category == "fault"]
    fault_resolved = sum(1 for t in faults if t.resolved_s is not None)
    assert week["fault_handling"]["faults"] == len(faults)
    assert week["fault_handling"]["resolved"] == fault_resolved
    breached = {(t.number, m) for t in scenario.tickets for m, outcome in t.clocks.items() if outcome == "breached"}
    assert {(b["number"], b["metric"]) for b in week["breaches"]} == breached
    overdue = {
        (t.number, m)
        for t in scenario.tickets
        for m, o in t.clocks.items()
        if o == "breached" and not finished(t.status)
    }
    assert {(b["number"], b["metric"]) for b in week["overdue"] if b["number"].startswith("2032")} == overdue
    for b in week["breaches"]:
        assert b["lateness_s"] >= 0 and b["due_at"] is not None


async def test_attendance_in_a_past_week_counts_missed_shifts(reporting: Reporting) -> None:
    """Shifts only count as missed once they have ended: this week lies in the past."""
    past = build(date(2025, 3, 3), seed=25, n=6)
    await feed(reporting, past, sla_settled(past))

    async def reported() -> list[dict[str, Any]] | None:
        week = (await reporting.get("/api/reports/weekly", week="2025-W10")).json()
        ours = [a for a in week["attendance"] if a["display_name"] in past.attendance]
        done = sum(a["clock_ins"] for a in ours) == sum(r.attended for r in past.attendance.values())
        return ours if done else None

    ours = await eventually(reported, timeout=30)
    assert sum(r.missed for r in past.attendance.values()) > 0
    assert_attendance(ours, past)


async def test_costs_split_at_ten_thousand_yuan_per_repair(reporting: Reporting, scenario: Scenario) -> None:
    report = (await reporting.get("/api/reports/costs", **{"from": "2032-07-05", "to": "2032-07-11"})).json()
    repaired = [t for t in scenario.tickets if t.cost is not None]
    vendor = [t.cost for t in repaired if t.cost is not None and t.cost <= Decimal("10000")]
    bureau = [t.cost for t in repaired if t.cost is not None and t.cost > Decimal("10000")]
    assert Decimal(report["by_bearer"]["vendor"]) == sum(vendor, Decimal(0))
    assert Decimal(report["by_bearer"]["bureau"]) == sum(bureau, Decimal(0))
    assert report["repairs_by_bearer"] == {"vendor": len(vendor), "bureau": len(bureau)}
    assert Decimal(report["total"]) == sum(vendor + bureau, Decimal(0))
    by_amount = {Decimal(line["total_cost"]): line["cost_borne_by"] for line in report["lines"]}
    # The scenario's seed gives repairs on both sides of the line.
    assert by_amount[Decimal("10000.00")] == "vendor"
    assert by_amount[Decimal("10000.01")] == "bureau"


async def test_quarterly_and_annual_reports_cover_their_periods(reporting: Reporting, scenario: Scenario) -> None:
    quarterly = (await reporting.get("/api/reports/quarterly", quarter="2032Q3")).json()
    assert quarterly["kind"] == "quarterly" and quarterly["period_label"] == "2032Q3"
    assert quarterly["summary"]["period"] == {"label": "2032Q3", "first_day": "2032-07-01", "last_day": "2032-09-30"}
    assert quarterly["summary"]["total"] == len(scenario.tickets)
    breached = sum(1 for t in scenario.tickets for o in t.clocks.values() if o == "breached")
    assert len(quarterly["breaches"]) == breached
    assert len(quarterly["costs"]["lines"]) == sum(1 for t in scenario.tickets if t.cost is not None)
    annual = (await reporting.get("/api/reports/annual", year=2032)).json()
    assert annual["summary"]["period"]["first_day"] == "2032-05-29"
    assert annual["summary"]["period"]["last_day"] == "2033-05-28"
    assert annual["summary"]["total"] == len(scenario.tickets)
    other_quarter = (await reporting.get("/api/reports/quarterly", quarter="2032Q2")).json()
    assert other_quarter["summary"]["total"] == 0


async def download(reporting: Reporting, path: str, fmt: str, **params: Any) -> bytes:
    resp = await reporting.get(path, format=fmt, **params)
    assert resp.status_code == 200, resp.text
    assert f".{fmt}" in resp.headers["content-disposition"]
    return resp.content


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    fonts = [
        font.get_object()
        for page in reader.pages
        for font in cast(
            pypdf.generic.DictionaryObject,
            cast(pypdf.generic.DictionaryObject, page["/Resources"])["/Font"].get_object(),
        ).values()
    ]
    embedded = [
        f
        for f in fonts
        for d in f.get("/DescendantFonts", [f])
        if "/FontFile2" in d.get_object().get("/FontDescriptor", {})
    ]
    assert embedded, "the Chinese font must be embedded, not referenced"
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_every_report_exports_as_csv_xlsx_and_pdf(reporting: Reporting, scenario: Scenario) -> None:
    weekly_csv = (await download(reporting, "/api/reports/weekly", "csv", week=WEEK_LABEL)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(weekly_csv)))
    assert rows[0][0].startswith("运维周报") and WEEK_LABEL in rows[0][0]
    assert any("生成时间" in r[0] for r in rows[:3] if r)
    assert any(r and r[0] == "工单总数 Tickets" and r[1] == str(len(scenario.tickets)) for r in rows)

    weekly_xlsx = await download(reporting, "/api/reports/weekly", "xlsx", week=WEEK_LABEL)
    book = openpyxl.load_workbook(io.BytesIO(weekly_xlsx))
    assert book.sheetnames[0] == "封面 Cover"
    assert "统计期间" in book["封面 Cover"]["A2"].value
    overview = book["服务总览"]
    assert overview.freeze_panes == "A5"
    assert overview["A4"].font.bold and overview["A4"].value == "指标 Figure"
    values = {overview.cell(row=r, column=1).value: overview.cell(row=r, column=2).value for r in range(5, 30)}
    assert values["工单总数 Tickets"] == len(scenario.tickets)
    assert book["人员出勤"].freeze_panes == "A5"
    assert book["每日工单量"]._charts, "the chart sheet carries a native chart"

    text = pdf_text(await download(reporting, "/api/reports/weekly", "pdf", week=WEEK_LABEL))
    for expected in ("运维周报", WEEK_LABEL, "人员出勤", "下周工作计划", "故障处理完成情况", "生成时间", "每日工单量"):
        assert expected in text, expected

    for path, params, title in (
        ("/api/reports/quarterly", {"quarter": "2032Q3"}, "合同履行验收报告"),
        ("/api/reports/annual", {"year": 2032}, "年度运维总结"),
        ("/api/reports/costs", {"from": "2032-07-05", "to": "2032-07-11"}, "维修费用"),
        ("/api/reports/sla", {"from": "2032-07-05", "to": "2032-07-11"}, "SLA 超时明细"),
        ("/api/reports/summary", {"from": "2032-07-05", "to": "2032-07-11"}, "运维服务统计"),
    ):
        assert title in pdf_text(await download(reporting, path, "pdf", **params)), path
        sheets = openpyxl.load_workbook(io.BytesIO(await download(reporting, path, "xlsx", **params))).sheetnames
        assert len(sheets) >= 2, path
        assert (await download(reporting, path, "csv", **params)).decode("utf-8-sig").startswith(title[:2]), path


def test_the_weekly_report_falls_due_on_monday_at_eight_local_time() -> None:
    monday_0800 = datetime(2032, 7, 12, 8, 0, tzinfo=LOCAL)
    assert last_due(monday_0800.astimezone(UTC), 8) == monday_0800.astimezone(UTC)
    just_before = datetime(2032, 7, 12, 7, 59, tzinfo=LOCAL).astimezone(UTC)
    assert week_due_at(last_due(just_before, 8)).label == "2032-W27"
    assert week_due_at(last_due(monday_0800.astimezone(UTC), 8)).label == WEEK_LABEL
    sunday_night = datetime(2032, 7, 18, 23, 0, tzinfo=LOCAL).astimezone(UTC)
    assert week_due_at(last_due(sunday_night, 8)).label == WEEK_LABEL


async def test_the_monday_report_is_generated_once_and_kept_for_download(
    reporting: Reporting, scenario: Scenario
) -> None:
    engine = create_engine(reporting.settings)
    try:
        archiver = WeeklyArchiver(session_factory(engine), reporting.settings)
        monday = datetime(2032, 7, 12, 8, 0, 5, tzinfo=LOCAL).astimezone(UTC)
        assert await archiver.run_once(monday) is True
        assert await archiver.run_once(monday) is False  # a second replica, or a restart: no second copy
    finally:
        await engine.dispose()
    listing = (await reporting.get("/api/reports/archive")).json()["items"]
    kept = {item["format"]: item for item in listing if item["period"] == WEEK_LABEL}
    assert set(kept) == {"xlsx", "pdf"}
    pdf = await reporting.get(f"/api/reports/archive/{kept['pdf']['id']}")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "运维周报" in pdf_text(pdf.content)
    xlsx = await reporting.get(f"/api/reports/archive/{kept['xlsx']['id']}")
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "封面 Cover"
    assert (await reporting.get(f"/api/reports/archive/{kept['pdf']['id']}", "requester")).status_code == 403
    regenerated = await reporting.client.post(
        f"/api/reports/archive/weekly/{WEEK_LABEL}", headers=reporting.as_("dispatcher")
    )
    assert regenerated.status_code == 201
    listing = (await reporting.get("/api/reports/archive")).json()["items"]
    assert sum(1 for item in listing if item["period"] == WEEK_LABEL) == 2
    garbage = await reporting.client.post("/api/reports/archive/weekly/2032-28", headers=reporting.as_("dispatcher"))
    assert garbage.status_code == 422 and garbage.json()["field"] == "week"


def keep(name: str, content: bytes) -> None:
    if os.environ.get("OPSDESK_DOCUMENT_DIR"):  # set it to keep the PDFs for a reader to look at
        Path(os.environ["OPSDESK_DOCUMENT_DIR"], name).write_bytes(content)


CONTRACT = {
    "contract_number": "JZ-YW-2032-017",
    "contract_title": "派出所信息化设备运维服务合同",
    "client_name": "某市公安局科技信息化处",
    "vendor_name": "某某信息技术有限公司",
    "starts_on": "2032-05-29",
    "ends_on": "2033-05-28",
}


async def test_acceptance_reports_carry_the_contract_an_admin_keeps_and_a_signature_block(
    reporting: Reporting, scenario: Scenario
) -> None:
    def put(body: dict[str, Any], role: str = "admin") -> Any:
        return reporting.client.put("/api/reports/contract", json=body, headers=reporting.as_(role, name="a"))

    assert (await put(CONTRACT, "supervisor")).status_code == 403
    backwards = await put({**CONTRACT, "ends_on": "2032-01-01"})
    assert backwards.status_code == 422 and backwards.json()["field"] == "ends_on"
    blank = await put({**CONTRACT, "client_name": " "})
    assert blank.status_code == 422 and "client_name" in blank.text
    assert (await reporting.get("/api/reports/contract")).json()["configured"] is False  # nothing half-written
    saved = await put(CONTRACT)
    assert saved.status_code == 200, saved.text
    read = (await reporting.get("/api/reports/contract", "hotline_operator")).json()
    assert read["configured"] and read["updated_by"] == "a"
    assert {k: read[k] for k in CONTRACT} == CONTRACT

    for path, params in (("/api/reports/quarterly", {"quarter": "2032Q3"}), ("/api/reports/annual", {"year": 2032})):
        assert (await reporting.get(path, **params)).json()["contract"]["contract_number"] == CONTRACT[
            "contract_number"
        ]
        content = await download(reporting, path, "pdf", **params)
        keep(f"opsdesk{path.replace('/', '_')}.pdf", content)
        pdf = pdf_text(content)
        for expected in (
            CONTRACT["contract_number"],
            CONTRACT["client_name"],
            CONTRACT["vendor_name"],
            "2032-05-29 – 2033-05-28",
            "甲方（公安局）",
            "乙方（运维服务商）",
            "签字",
            "日期",
            "盖章",
        ):
            assert expected in pdf, (path, expected)
        cells = csv.reader(io.StringIO((await download(reporting, path, "csv", **params)).decode("utf-8-sig")))
        flat = [c for row in cells for c in row]
        assert CONTRACT["contract_number"] in flat and "甲方（公安局）Party A (bureau)" in flat, path
        book = openpyxl.load_workbook(io.BytesIO(await download(reporting, path, "xlsx", **params)))
        particulars = book["合同信息"]
        values = [c.value for row in particulars.iter_rows() for c in row]
        assert CONTRACT["client_name"] in values and CONTRACT["contract_number"] in values, path
        cover = [c.value for c in book["封面 Cover"]["A"] if c.value]
        assert any(v.startswith("乙方（运维服务商）") and CONTRACT["vendor_name"] in v for v in cover), path


async def test_a_clock_in_before_the_roster_was_entered_attends_the_shift_it_overlaps(reporting: Reporting) -> None:
    """The demo's morning: the engineer clocks in, then the dispatcher rosters the day. Dispatch tied the
    clock-in to no shift, and the table read 出勤 0 beside 出勤天数 1. A clock-in tied to a shift days away
    (made on a day off) does not attend that shift either."""
    day = datetime(2024, 3, 5, 9, 0, tzinfo=LOCAL)  # 2024-W10, Tuesday
    early, off_day = uuid.uuid4(), uuid.uuid4()
    shifts = {
        "today": (early, day),
        "off_day_next": (off_day, day + timedelta(days=2)),
    }
    shift_ids = {name: uuid.uuid4() for name in shifts}
    events: list[Any] = [
        ShiftScheduled(
            shift_id=shift_ids[name],
            post_id=uuid.uuid4(),
            post_name="驻场运维",
            user_id=user,
            display_name=f"出勤测试{name}",
            starts_at=starts.astimezone(UTC),
            ends_at=(starts + timedelta(hours=8)).astimezone(UTC),
        )
        for name, (user, starts) in shifts.items()
    ]
    for user, shift_id, clock_in, hours in (
        (early, None, day + timedelta(minutes=40), 7),  # clocked in before the roster existed: no shift tied
        (off_day, shift_ids["off_day_next"], day, 2),  # a day off: tied to the shift two days later
    ):
        common = dict(
            attendance_id=uuid.uuid4(),
            user_id=user,
            display_name=f"出勤测试{'today' if user == early else 'off_day_next'}",
            shift_id=shift_id,
            clock_in_at=clock_in.astimezone(UTC),
        )
        events += [
            AttendanceClockedIn(**common),
            AttendanceClockedOut(**common, clock_out_at=(clock_in + timedelta(hours=hours)).astimezone(UTC)),
        ]
    await publish(reporting.env.amqp_url, *events)

    async def reported() -> dict[str, dict[str, Any]] | None:
        week = (await reporting.get("/api/reports/weekly", week="2024-W10")).json()
        ours = {a["display_name"]: a for a in week["attendance"] if a["display_name"].startswith("出勤测试")}
        return (
            ours if len(ours) == 2 and all(a["hours_on_duty"] and a["shifts_rostered"] for a in ours.values()) else None
        )

    ours = await eventually(reported, timeout=30)
    today = ours["出勤测试today"]
    assert (today["shifts_rostered"], today["shifts_attended"], today["shifts_missed"], today["days_present"]) == (
        1,
        1,
        0,
        1,
    )
    assert today["late_starts"] == 1  # 40 minutes after the shift began
    off = ours["出勤测试off_day_next"]
    assert (off["shifts_rostered"], off["shifts_attended"], off["shifts_missed"], off["days_present"]) == (1, 0, 1, 1)
    assert off["late_starts"] == 0
    table = (await download(reporting, "/api/reports/weekly", "csv", week="2024-W10")).decode("utf-8-sig")
    row = next(r for r in csv.reader(io.StringIO(table)) if r and r[0] == "出勤测试today")
    header = next(r for r in csv.reader(io.StringIO(table)) if r and r[0] == "姓名 Name")
    assert row[header.index("出勤 Attended")] == "1" and row[header.index("出勤天数 Days present")] == "1"
