"""`GET /api/reports/inspections/daily?day=2026-12-07`: the daily inspection report (日常巡检报告, SPEC §2a),
first of the contract's acceptance materials: the day's rounds due, done and missed with who walked each,
the items checked and found abnormal, and every finding with the ticket it became (a ticket opened, or the
open ticket of an earlier finding it was added to).

Rounds are counted once they are completed or missed: a round of today still open is in neither, so the
report of a day is whole from the day after (the assets worker records a missed round at its deadline).

The same figures over a period (`inspection_period`, per day and in total, findings per equipment class) make
the weekly report's inspection section, the acceptance reports' completion rate and the dashboard's charts
(`GET /api/reports/inspections/period?from=&to=`)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Chart, Document, Percent, Section, Table
from reporting import labels
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


class InspectionFigures(BaseModel):
    rounds_due: int = 0  # completed or missed (a round still open is in neither)
    rounds_done: int = 0
    rounds_missed: int = 0
    completion_pct: float | None = None
    assets_checked: int = 0
    items_checked: int = 0
    abnormal_items: int = 0
    findings: int = 0
    tickets_opened: int = 0  # findings that opened a ticket (the others were added to an open one)


class InspectionDay(InspectionFigures):
    day: date


class ClassFindings(BaseModel):
    asset_class: str  # the code ("" when the finding's event has no class)
    name: str  # 机房空调 (air_conditioner)
    findings: int
    tickets_opened: int


class InspectionPeriod(InspectionFigures):
    first_day: date
    last_day: date
    per_day: list[InspectionDay]  # every day of the period, zero-filled
    by_class: list[ClassFindings]  # the most findings first
    finding_lines: list[InspectionFinding] | None = None  # when asked for (the weekly report)


class DailyInspectionReport(InspectionFigures):
    day: date
    generated_at: datetime
    rounds: list[InspectionRound]
    finding_lines: list[InspectionFinding]


_ROUNDS = text(
    "SELECT round_id, plan_name, post_name, due_at, status, completed_at, completed_by_name, stops, stops_checked,"
    " items_checked, abnormal_items FROM inspection_round_fact WHERE day = :day ORDER BY due_at, plan_name"
)
# Findings whose own event has arrived (a `finding.ticketed` alone has no day yet).
_FINDINGS = text(
    "SELECT finding_id, raised_at, tag, place, item_label, reading, inspector_name, ticket_id, ticket_number,"
    " ticket_opened FROM inspection_finding_fact WHERE day BETWEEN :first AND :last ORDER BY raised_at, tag"
)
_ROUNDS_PER_DAY = text(
    "SELECT day, count(*) AS due, count(*) FILTER (WHERE status = 'completed') AS done,"
    " coalesce(sum(stops_checked), 0) AS assets, coalesce(sum(items_checked), 0) AS items,"
    " coalesce(sum(abnormal_items), 0) AS abnormal"
    " FROM inspection_round_fact WHERE day BETWEEN :first AND :last GROUP BY day"
)
_FINDINGS_PER_DAY = text(
    "SELECT day, count(*) AS findings, count(*) FILTER (WHERE ticket_opened) AS opened"
    " FROM inspection_finding_fact WHERE day BETWEEN :first AND :last GROUP BY day"
)
_FINDINGS_PER_CLASS = text(
    "SELECT coalesce(asset_class, '') AS asset_class, count(*) AS findings,"
    " count(*) FILTER (WHERE ticket_opened) AS opened"
    " FROM inspection_finding_fact WHERE day BETWEEN :first AND :last GROUP BY 1"
)


def figures(due: int, done: int, assets: int, items: int, abnormal: int, findings: int, opened: int) -> dict[str, Any]:
    return {
        "rounds_due": due,
        "rounds_done": done,
        "rounds_missed": due - done,
        "completion_pct": pct(done, due),
        "assets_checked": assets,
        "items_checked": items,
        "abnormal_items": abnormal,
        "findings": findings,
        "tickets_opened": opened,
    }


async def inspection_days(session: AsyncSession, first: date, last: date) -> list[InspectionDay]:
    """Each day's figures from first to last (inclusive), zero-filled."""
    bounds = {"first": first, "last": last}
    rounds = {r.day: r for r in await session.execute(_ROUNDS_PER_DAY, bounds)}
    found = {f.day: f for f in await session.execute(_FINDINGS_PER_DAY, bounds)}
    days = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        r, f = rounds.get(day), found.get(day)
        days.append(
            InspectionDay(
                day=day,
                **figures(
                    r.due if r else 0,
                    r.done if r else 0,
                    int(r.assets) if r else 0,
                    int(r.items) if r else 0,
                    int(r.abnormal) if r else 0,
                    f.findings if f else 0,
                    f.opened if f else 0,
                ),
            )
        )
    return days


def total(days: list[InspectionDay]) -> dict[str, Any]:
    def add(field: str) -> int:
        return sum(int(getattr(d, field)) for d in days)

    return figures(
        add("rounds_due"),
        add("rounds_done"),
        add("assets_checked"),
        add("items_checked"),
        add("abnormal_items"),
        add("findings"),
        add("tickets_opened"),
    )


async def finding_lines(session: AsyncSession, first: date, last: date) -> list[InspectionFinding]:
    rows = await session.execute(_FINDINGS, {"first": first, "last": last})
    return [InspectionFinding(**dict(r._mapping)) for r in rows]


async def inspection_period(session: AsyncSession, period: Period, *, with_findings: bool = False) -> InspectionPeriod:
    """The period's rounds due / done / missed, items checked and abnormal, findings and the tickets they
    opened: per day, in total and per equipment class; with every finding and its ticket when asked."""
    first, last = period.first_day, period.last_day
    days = await inspection_days(session, first, last)
    classes = await session.execute(_FINDINGS_PER_CLASS, {"first": first, "last": last})
    by_class = [
        ClassFindings(
            asset_class=c.asset_class,
            name=labels.name(labels.ASSET_CLASS, c.asset_class) if c.asset_class else "未登记 unregistered",
            findings=c.findings,
            tickets_opened=c.opened,
        )
        for c in classes
    ]
    return InspectionPeriod(
        first_day=first,
        last_day=last,
        per_day=days,
        by_class=sorted(by_class, key=lambda c: (-c.findings, c.asset_class)),
        finding_lines=await finding_lines(session, first, last) if with_findings else None,
        **total(days),
    )


async def daily_inspections(session: AsyncSession, day: date) -> DailyInspectionReport:
    rounds = [InspectionRound(**dict(r._mapping)) for r in await session.execute(_ROUNDS, {"day": day})]
    return DailyInspectionReport(
        day=day,
        generated_at=datetime.now(UTC),
        rounds=rounds,
        finding_lines=await finding_lines(session, day, day),
        **total(await inspection_days(session, day, day)),
    )


def _ticket_cell(finding: InspectionFinding) -> str:
    if finding.ticket_number is None:
        return "待建单 pending"
    return finding.ticket_number if finding.ticket_opened else f"{finding.ticket_number}（追加 added）"


OVERVIEW_COLUMNS = [
    "应巡检 Due",
    "已完成 Done",
    "漏检 Missed",
    "完成率 Completion",
    "检查设备 Assets checked",
    "检查项 Items checked",
    "异常项 Abnormal",
    "发现问题 Findings",
    "新建工单 Tickets opened",
]


def _overview_row(f: InspectionFigures) -> list[Any]:
    return [
        f.rounds_due,
        f.rounds_done,
        f.rounds_missed,
        "—" if f.completion_pct is None else Percent(f.completion_pct),
        f.assets_checked,
        f.items_checked,
        f.abnormal_items,
        f.findings,
        f.tickets_opened,
    ]


def overview_table(title: str, figures: InspectionFigures) -> Table:
    return Table(title, OVERVIEW_COLUMNS, [_overview_row(figures)])


def findings_table(title: str, lines: list[InspectionFinding]) -> Table:
    return Table(
        title,
        ["时间 Time", "设备 Asset", "位置 Place", "检查项 Item", "结果 Reading", "巡检人 Inspector", "工单 Ticket"],
        [
            [local_text(f.raised_at), f.tag, f.place, f.item_label, f.reading, f.inspector_name, _ticket_cell(f)]
            for f in lines
        ],
    )


def inspection_period_sections(report: InspectionPeriod, *, per_day: bool) -> list[Section]:
    """The period's inspection figures as report sections: the totals, each day's (`per_day`, for a week or
    a month), the findings per equipment class, and every finding with its ticket when the report has them."""
    sections: list[Section] = [overview_table("日常巡检 Inspections", report)]
    if per_day:
        sections.append(
            Table(
                "每日巡检 Inspections per day",
                ["日期 Day", *OVERVIEW_COLUMNS],
                [[d.day.isoformat(), *_overview_row(d)] for d in report.per_day],
            )
        )
    sections.append(
        Table(
            "各类设备发现问题 Findings per equipment class",
            ["设备类别 Class", "发现问题 Findings", "新建工单 Tickets opened"],
            [[c.name, c.findings, c.tickets_opened] for c in report.by_class],
        )
    )
    if report.finding_lines is not None:
        sections.append(findings_table("巡检发现问题及工单 Findings and their tickets", report.finding_lines))
    return sections


def inspection_period_document(report: InspectionPeriod, period: Period) -> Document:
    return Document(
        title=f"巡检统计 Inspections {period.label}",
        period=period,
        generated_at=datetime.now(UTC),
        filename=f"inspections_{period.first_day.isoformat()}_{period.last_day.isoformat()}",
        sections=[
            *inspection_period_sections(report, per_day=True),
            Chart(
                "巡检完成情况 Rounds",
                "bar",
                ["已完成 Done", "漏检 Missed"],
                [float(report.rounds_done), float(report.rounds_missed)],
            ),
        ],
    )


def inspection_document(report: DailyInspectionReport) -> Document:
    return Document(
        title=f"日常巡检报告 Daily inspection report {report.day.isoformat()}",
        period=Period(report.day.isoformat(), report.day, report.day),
        generated_at=report.generated_at,
        filename=f"inspections_{report.day.isoformat()}",
        sections=[
            overview_table("巡检概况 Overview", report),
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
            findings_table("发现问题及工单 Findings and their tickets", report.finding_lines),
        ],
    )
