"""`GET /api/reports/machine-room`: the machine-room inspection report (机房巡检报告, SPEC §2a) of a day or a
period: the machine-room rounds (those whose assets include machine-room infrastructure: UPS and
machine-room air conditioning), every reading taken on them with its normal range and the abnormal ones
marked, who inspected and when, the rounds missed, and the findings with the tickets they became.

As in the daily inspection report, a round counts once it is completed or missed; readings are those of
completed rounds (`inspection.round_completed` carries them)."""

from datetime import UTC, date, datetime
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Document, Percent, Table
from reporting import labels
from reporting.periods import Period, local_text
from reporting.projections.inspections import normal_text
from reporting.reports.inspections import ROUND_STATUS, InspectionFinding, findings_table
from reporting.reports.summary import pct

# The ledger classes that make a round a machine-room round (the machine room's power and climate).
MACHINE_ROOM_CLASSES = ("ups", "air_conditioner")


class MachineRoomRound(BaseModel):
    round_id: UUID
    day: date
    plan_name: str
    post_name: str | None
    due_at: datetime
    status: str  # completed | missed
    completed_at: datetime | None
    completed_by_name: str | None
    stops: int
    stops_checked: int
    abnormal_items: int


class MachineRoomReading(BaseModel):
    day: date
    plan_name: str
    tag: str
    asset_class: str
    place: str
    item_label: str
    kind: str
    value: str | None
    measure_unit: str | None
    normal: str  # e.g. 18–27 °C; empty for a check
    abnormal: bool
    checked_at: datetime | None
    checked_by_name: str | None


class MachineRoomReport(BaseModel):
    period_label: str
    first_day: date
    last_day: date
    generated_at: datetime
    rounds_due: int
    rounds_done: int
    rounds_missed: int
    completion_pct: float | None
    readings_taken: int
    abnormal_readings: int
    findings: int
    rounds: list[MachineRoomRound]
    readings: list[MachineRoomReading]
    finding_lines: list[InspectionFinding]


_ROUNDS = text(
    "SELECT round_id, day, plan_name, post_name, due_at, status, completed_at, completed_by_name, stops,"
    " stops_checked, abnormal_items FROM inspection_round_fact"
    " WHERE day BETWEEN :first AND :last AND asset_classes && CAST(:classes AS text[])"
    " ORDER BY day, due_at, plan_name"
)
_READINGS = text(
    "SELECT g.day, r.plan_name, g.tag, g.asset_class, g.place, g.item_label, g.kind, g.value, g.measure_unit,"
    " g.normal_low, g.normal_high, g.abnormal, g.checked_at, g.checked_by_name"
    " FROM inspection_reading_fact g JOIN inspection_round_fact r ON r.round_id = g.round_id"
    " WHERE g.day BETWEEN :first AND :last AND r.asset_classes && CAST(:classes AS text[])"
    " ORDER BY g.day, r.due_at, g.tag, g.item_label"
)
# The findings of machine-room rounds, and of machine-room assets whatever round raised them.
_FINDINGS = text(
    "SELECT f.finding_id, f.raised_at, f.tag, f.place, f.item_label, f.reading, f.inspector_name, f.ticket_id,"
    " f.ticket_number, f.ticket_opened FROM inspection_finding_fact f"
    " LEFT JOIN inspection_round_fact r ON r.round_id = f.round_id"
    " WHERE f.day BETWEEN :first AND :last"
    " AND (f.asset_class = ANY(CAST(:classes AS text[])) OR r.asset_classes && CAST(:classes AS text[]))"
    " ORDER BY f.raised_at, f.tag"
)


async def machine_room(session: AsyncSession, period: Period) -> MachineRoomReport:
    params = {"first": period.first_day, "last": period.last_day, "classes": list(MACHINE_ROOM_CLASSES)}
    rounds = [MachineRoomRound(**dict(r._mapping)) for r in await session.execute(_ROUNDS, params)]
    readings = [
        MachineRoomReading(
            **{k: v for k, v in r._mapping.items() if k not in ("normal_low", "normal_high")},
            normal=normal_text(r.normal_low, r.normal_high, r.measure_unit),
        )
        for r in await session.execute(_READINGS, params)
    ]
    findings = [InspectionFinding(**dict(r._mapping)) for r in await session.execute(_FINDINGS, params)]
    done = sum(1 for r in rounds if r.status == "completed")
    return MachineRoomReport(
        period_label=period.label,
        first_day=period.first_day,
        last_day=period.last_day,
        generated_at=datetime.now(UTC),
        rounds_due=len(rounds),
        rounds_done=done,
        rounds_missed=len(rounds) - done,
        completion_pct=pct(done, len(rounds)),
        readings_taken=len(readings),
        abnormal_readings=sum(1 for r in readings if r.abnormal),
        findings=len(findings),
        rounds=rounds,
        readings=readings,
        finding_lines=findings,
    )


def _value(reading: MachineRoomReading) -> str:
    value = reading.value or ""
    return f"{value} {reading.measure_unit}" if reading.measure_unit and reading.kind == "reading" else value


def machine_room_document(report: MachineRoomReport) -> Document:
    return Document(
        title="机房巡检报告 Machine-room inspection report",
        period=Period(report.period_label, report.first_day, report.last_day),
        generated_at=report.generated_at,
        filename=f"machine_room_{report.first_day.isoformat()}_{report.last_day.isoformat()}",
        sections=[
            Table(
                "巡检概况 Overview",
                [
                    "应巡检 Due",
                    "已完成 Done",
                    "漏检 Missed",
                    "完成率 Completion",
                    "读数 Readings",
                    "异常 Abnormal",
                    "发现问题 Findings",
                ],
                [
                    [
                        report.rounds_due,
                        report.rounds_done,
                        report.rounds_missed,
                        "—" if report.completion_pct is None else Percent(report.completion_pct),
                        report.readings_taken,
                        report.abnormal_readings,
                        report.findings,
                    ]
                ],
            ),
            Table(
                "机房巡检任务 Machine-room rounds",
                [
                    "日期 Day",
                    "巡检计划 Plan",
                    "岗位 Post",
                    "截止 Due",
                    "状态 Status",
                    "巡检人 Inspector",
                    "完成时间 Completed",
                    "设备 Assets",
                    "异常 Abnormal",
                ],
                [
                    [
                        r.day.isoformat(),
                        r.plan_name,
                        r.post_name or "",
                        local_text(r.due_at),
                        ROUND_STATUS.get(r.status, r.status),
                        r.completed_by_name or "",
                        local_text(r.completed_at),
                        f"{r.stops_checked}/{r.stops}",
                        r.abnormal_items,
                    ]
                    for r in report.rounds
                ],
            ),
            Table(
                "巡检读数 Readings",
                [
                    "日期 Day",
                    "设备 Asset",
                    "类别 Class",
                    "位置 Place",
                    "检查项 Item",
                    "读数 Reading",
                    "正常范围 Normal range",
                    "判定 Result",
                    "巡检人 Inspector",
                    "时间 Checked",
                ],
                [
                    [
                        g.day.isoformat(),
                        g.tag,
                        labels.name(labels.ASSET_CLASS, g.asset_class),
                        g.place,
                        g.item_label,
                        _value(g),
                        g.normal,
                        "异常 abnormal" if g.abnormal else "正常 normal",
                        g.checked_by_name or "",
                        local_text(g.checked_at),
                    ]
                    for g in report.readings
                ],
            ),
            findings_table("发现问题及工单 Findings and their tickets", report.finding_lines),
        ],
    )
