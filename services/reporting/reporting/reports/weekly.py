"""`GET /api/reports/weekly?week=2026-W48`: the contract's weekly O&M report (运维周报): staff
attendance, task statistics, status and fault-handling completion with the breached and still-overdue
tickets, the devices' online rate, the week's inspections (日常巡检: rounds due, done and missed per day,
items checked and abnormal, findings per equipment class and the tickets they became), and next week's
work plan (text the vendor writes, kept with the report)."""

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Document, Percent, Table, Text
from reporting.reports.attendance import Attendance, attendance, attendance_table
from reporting.reports.availability import AvailabilityReport, availability, availability_tables
from reporting.reports.breaches import Breach, breach_table, breaches, overdue_now
from reporting.reports.filters import Filters
from reporting.reports.inspections import InspectionPeriod, inspection_period, inspection_period_sections
from reporting.reports.summary import Summary, pct, summarize, summary_sections


class FaultHandling(BaseModel):
    faults: int
    resolved: int
    completion_pct: float | None


class WeeklyReport(BaseModel):
    week: str
    summary: Summary
    attendance: list[Attendance]
    fault_handling: FaultHandling
    breaches: list[Breach]
    overdue: list[Breach]
    availability: AvailabilityReport
    inspections: InspectionPeriod
    next_week_plan: str
    plan_updated_by: str | None
    plan_updated_at: datetime | None


async def weekly(session: AsyncSession, filters: Filters) -> WeeklyReport:
    summary = await summarize(session, filters, with_traffic=True)
    faults = await summarize(
        session, Filters(filters.period, filters.unit_root, "fault", filters.priority), with_traffic=False
    )
    plan = (
        await session.execute(
            text("SELECT plan, updated_by, updated_at FROM weekly_plan WHERE week = :week"),
            {"week": filters.period.label},
        )
    ).first()
    return WeeklyReport(
        week=filters.period.label,
        summary=summary,
        attendance=await attendance(session, filters.period),
        fault_handling=FaultHandling(
            faults=faults.total, resolved=faults.resolved, completion_pct=pct(faults.resolved, faults.total)
        ),
        breaches=(await breaches(session, filters)).breaches,
        overdue=await overdue_now(session, filters),
        availability=await availability(session, filters),
        inspections=await inspection_period(session, filters.period, with_findings=True),
        next_week_plan=plan.plan if plan else "",
        plan_updated_by=plan.updated_by if plan else None,
        plan_updated_at=plan.updated_at if plan else None,
    )


def weekly_document(report: WeeklyReport, filters: Filters) -> Document:
    handling = report.fault_handling
    return Document(
        title=f"运维周报 Weekly O&M report {report.week}",
        period=filters.period,
        generated_at=report.summary.generated_at,
        filename=f"weekly_{report.week}",
        sections=[
            attendance_table(report.attendance),
            *summary_sections(report.summary),
            Table(
                "故障处理完成情况 Fault handling",
                ["故障工单 Faults", "已解决 Resolved", "完成率 Completion"],
                [
                    [
                        handling.faults,
                        handling.resolved,
                        "—" if handling.completion_pct is None else Percent(handling.completion_pct),
                    ]
                ],
            ),
            breach_table("本周超时工单 Breached this week", report.breaches),
            breach_table("仍超时未处理 Still overdue", report.overdue),
            *availability_tables(report.availability),
            *inspection_period_sections(report.inspections, per_day=True),
            Text("下周工作计划 Next week's plan", report.next_week_plan or "（未填写 not written yet）"),
        ],
    )
