"""`GET /api/reports/inspections/daily?day=2026-12-07`: the daily inspection report (日常巡检报告, SPEC §2a),
first of the contract's acceptance materials: the day's rounds due, done and missed with who walked each,
the items checked and found abnormal, and every finding with the ticket it became (a ticket opened, or the
open ticket of an earlier finding it was added to).

Rounds are counted once they are completed or missed: a round of today still open is in neither, so the
report of a day is whole from the day after (the assets worker records a missed round at its deadline)."""

from datetime import UTC, date, datetime
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.exports.document import Chart, Document, Percent, Table
from reporting.periods import Period, local_text
from reporting.reports.summary import pct

ROUND_STATUS = {"completed": "已完成 done", "missed": "漏检 missed"}


class InspectionRound(BaseModel):
    round_id: UUID
    plan_name: str
    post_name: str | None
    due_at: datetime
    status: str  # completed | missed
    completed_at: datetime | None
    completed_by_name: str | None
    stops: int
    stops_checked: int
    items_checked: int
    abnormal_items: int


class InspectionFinding(BaseModel):
    finding_id: UUID
    raised_at: datetime
    tag: str
    place: str
    item_label: str
    reading: str
    inspector_name: str
    ticket_id: UUID | None
    ticket_number: str | None
    ticket_opened: bool | None  # False: added to the open ticket of an earlier finding


class DailyInspectionReport(BaseModel):
    day: date
    generated_at: datetime
    rounds_due: int
    rounds_done: int
    rounds_missed: int
    completion_pct: float | None
    assets_checked: int
    items_checked: int
    abnormal_items: int
    findings: int
    tickets_opened: int
    rounds: list[InspectionRound]
    finding_lines: list[InspectionFinding]


_ROUNDS = text(
    "SELECT round_id, plan_name, post_name, due_at, status, completed_at, completed_by_name, stops, stops_checked,"
    " items_checked, abnormal_items FROM inspection_round_fact WHERE day = :day ORDER BY due_at, plan_name"
)
# Findings whose own event has arrived (a `finding.ticketed` alone has no day yet).
_FINDINGS = text(
    "SELECT finding_id, raised_at, tag, place, item_label, reading, inspector_name, ticket_id, ticket_number,"
    " ticket_opened FROM inspection_finding_fact WHERE day = :day ORDER BY raised_at, tag"
)


async def daily_inspections(session: AsyncSession, day: date) -> DailyInspectionReport:
    rounds = [InspectionRound(**dict(r._mapping)) for r in await session.execute(_ROUNDS, {"day": day})]
    findings = [InspectionFinding(**dict(r._mapping)) for r in await session.execute(_FINDINGS, {"day": day})]
    done = sum(1 for r in rounds if r.status == "completed")
    return DailyInspectionReport(
        day=day,
        generated_at=datetime.now(UTC),
        rounds_due=len(rounds),
        rounds_done=done,
        rounds_missed=len(rounds) - done,
        completion_pct=pct(done, len(rounds)),
        assets_checked=sum(r.stops_checked for r in rounds),
        items_checked=sum(r.items_checked for r in rounds),
        abnormal_items=sum(r.abnormal_items for r in rounds),
        findings=len(findings),
        tickets_opened=sum(1 for f in findings if f.ticket_opened),
        rounds=rounds,
        finding_lines=findings,
    )


def ticket_cell(finding: InspectionFinding) -> str:
    if finding.ticket_number is None:
        return "待建单 pending"
    return finding.ticket_number if finding.ticket_opened else f"{finding.ticket_number}（追加 added）"


def inspection_document(report: DailyInspectionReport) -> Document:
    return Document(
        title=f"日常巡检报告 Daily inspection report {report.day.isoformat()}",
        period=Period(report.day.isoformat(), report.day, report.day),
        generated_at=report.generated_at,
        filename=f"inspections_{report.day.isoformat()}",
        sections=[
            Table(
                "巡检概况 Overview",
                [
                    "应巡检 Due",
                    "已完成 Done",
                    "漏检 Missed",
                    "完成率 Completion",
                    "检查设备 Assets checked",
                    "检查项 Items checked",
                    "异常项 Abnormal",
                    "发现问题 Findings",
                    "新建工单 Tickets opened",
                ],
                [
                    [
                        report.rounds_due,
                        report.rounds_done,
                        report.rounds_missed,
                        "—" if report.completion_pct is None else Percent(report.completion_pct),
                        report.assets_checked,
                        report.items_checked,
                        report.abnormal_items,
                        report.findings,
                        report.tickets_opened,
                    ]
                ],
            ),
            Chart(
                "巡检完成情况 Rounds",
                "bar",
                ["已完成 Done", "漏检 Missed"],
                [float(report.rounds_done), float(report.rounds_missed)],
            ),
            Table(
                "巡检任务 Rounds",
                [
                    "巡检计划 Plan",
                    "岗位 Post",
                    "截止 Due",
                    "状态 Status",
                    "巡检人 Inspector",
                    "完成时间 Completed",
                    "设备 Assets",
                    "检查项 Items",
                    "异常 Abnormal",
                ],
                [
                    [
                        r.plan_name,
                        r.post_name or "",
                        local_text(r.due_at),
                        ROUND_STATUS.get(r.status, r.status),
                        r.completed_by_name or "",
                        local_text(r.completed_at),
                        f"{r.stops_checked}/{r.stops}",
                        r.items_checked,
                        r.abnormal_items,
                    ]
                    for r in report.rounds
                ],
            ),
            Table(
                "发现问题及工单 Findings and their tickets",
                [
                    "时间 Time",
                    "设备 Asset",
                    "位置 Place",
                    "检查项 Item",
                    "结果 Reading",
                    "巡检人 Inspector",
                    "工单 Ticket",
                ],
                [
                    [
                        local_text(f.raised_at),
                        f.tag,
                        f.place,
                        f.item_label,
                        f.reading,
                        f.inspector_name,
                        ticket_cell(f),
                    ]
                    for f in report.finding_lines
                ],
            ),
        ],
    )
