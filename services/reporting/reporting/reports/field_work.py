"""The training and visits sections of the quarterly and annual reports (SPEC §2a): the sessions held with
their attendees and ratings, attendees by unit, the materials delivered; the visits owed and done per unit,
and the hidden risks they found with what became of each (its ticket and the ticket's status now, the
improvement measure it was proposed as)."""

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Table
from reporting.labels import STATUS, name
from reporting.periods import Period, local_text


class TrainingSession(BaseModel):
    topic: str
    trainer: str
    place: str
    starts_at: datetime
    attendees: int
    ratings: int
    mean_rating: float | None
    materials: list[str]


class UnitAttendance(BaseModel):
    unit: str
    attendees: int


class Material(BaseModel):
    session: str
    filename: str
    size: int


class TrainingReport(BaseModel):
    sessions: list[TrainingSession]
    attendees_by_unit: list[UnitAttendance]
    materials: list[Material]
    attendees: int
    mean_rating: float | None


class UnitVisits(BaseModel):
    unit: str
    planned: int
    done: int
    outstanding: int
    mean_satisfaction: float | None


class Risk(BaseModel):
    unit: str
    visited_at: datetime | None
    description: str
    ticket_number: str | None
    ticket_status: str | None  # the ticket's status now; None: not (yet) ticketed
    measure_title: str | None = None  # the improvement measure it was proposed as, if any


class VisitReport(BaseModel):
    by_unit: list[UnitVisits]
    risks: list[Risk]
    planned: int
    done: int


# Sessions held in the period: those starting in it, not cancelled.
_SESSIONS = text(
    """
SELECT s.session_id, s.topic, s.trainer, s.place, s.starts_at, s.materials,
    count(a.signed_in_at) AS attendees, count(a.rating) AS ratings, round(avg(a.rating), 2) AS mean_rating
FROM training_session_fact s LEFT JOIN training_attendance_fact a USING (session_id)
WHERE s.starts_at >= :starts AND s.starts_at < :ends AND NOT s.cancelled
GROUP BY s.session_id ORDER BY s.starts_at
"""
)
_BY_UNIT = text(
    """
SELECT coalesce(u.name, '（未知单位）') AS unit, count(*) AS attendees
FROM training_session_fact s JOIN training_attendance_fact a USING (session_id)
LEFT JOIN unit_dim u ON u.unit_id = a.unit_id
WHERE s.starts_at >= :starts AND s.starts_at < :ends AND NOT s.cancelled AND a.signed_in_at IS NOT NULL
GROUP BY 1 ORDER BY 2 DESC, 1
"""
)
_TOTALS = text(
    """
SELECT count(a.signed_in_at) AS attendees, round(avg(a.rating), 2) AS mean_rating
FROM training_session_fact s JOIN training_attendance_fact a USING (session_id)
WHERE s.starts_at >= :starts AND s.starts_at < :ends AND NOT s.cancelled
"""
)
# Visits of the period: owed in a window overlapping it, or done in it (an arranged visit done early).
_VISITS_BY_UNIT = text(
    """
SELECT coalesce(v.unit_name, u.name, '（未知单位）') AS unit, count(*) AS planned,
    count(*) FILTER (WHERE v.visited_at IS NOT NULL AND v.visited_at < :ends) AS done,
    round(avg(v.satisfaction), 2) AS mean_satisfaction
FROM visit_fact v LEFT JOIN unit_dim u ON u.unit_id = v.unit_id
WHERE (v.due_from <= :last AND v.due_by >= :first) OR (v.visited_at >= :starts AND v.visited_at < :ends)
GROUP BY 1 ORDER BY 1
"""
)
_RISKS = text(
    """
SELECT coalesce(v.unit_name, '') AS unit, v.visited_at, coalesce(r.description, '') AS description,
    r.ticket_number, t.status AS ticket_status, r.measure_title
FROM visit_risk_fact r JOIN visit_fact v USING (visit_id)
LEFT JOIN ticket_fact t ON t.ticket_id = r.ticket_id
WHERE v.visited_at >= :starts AND v.visited_at < :ends
ORDER BY v.visited_at, v.unit_name
"""
)


def _params(period: Period) -> dict[str, object]:
    return {"starts": period.starts_at, "ends": period.ends_at, "first": period.first_day, "last": period.last_day}


async def training(session: AsyncSession, period: Period) -> TrainingReport:
    params = _params(period)
    sessions, materials = [], []
    for row in (await session.execute(_SESSIONS, params)).mappings():
        files = list(row["materials"] or [])
        sessions.append(
            TrainingSession(
                topic=row["topic"],
                trainer=row["trainer"],
                place=row["place"],
                starts_at=row["starts_at"],
                attendees=row["attendees"],
                ratings=row["ratings"],
                mean_rating=float(row["mean_rating"]) if row["mean_rating"] is not None else None,
                materials=[f["filename"] for f in files],
            )
        )
        materials += [Material(session=row["topic"], filename=f["filename"], size=f["size"]) for f in files]
    by_unit = [UnitAttendance(**dict(r)) for r in (await session.execute(_BY_UNIT, params)).mappings()]
    totals = (await session.execute(_TOTALS, params)).mappings().one()
    mean = totals["mean_rating"]
    return TrainingReport(
        sessions=sessions,
        attendees_by_unit=by_unit,
        materials=materials,
        attendees=totals["attendees"] or 0,
        mean_rating=float(mean) if mean is not None else None,
    )


async def visits(session: AsyncSession, period: Period) -> VisitReport:
    params = _params(period)
    by_unit = []
    for row in (await session.execute(_VISITS_BY_UNIT, params)).mappings():
        mean = row["mean_satisfaction"]
        by_unit.append(
            UnitVisits(
                unit=row["unit"],
                planned=row["planned"],
                done=row["done"],
                outstanding=row["planned"] - row["done"],
                mean_satisfaction=float(mean) if mean is not None else None,
            )
        )
    risks = [Risk(**dict(r)) for r in (await session.execute(_RISKS, params)).mappings()]
    return VisitReport(
        by_unit=by_unit,
        risks=risks,
        planned=sum(u.planned for u in by_unit),
        done=sum(u.done for u in by_unit),
    )


def training_tables(report: TrainingReport) -> list[Table]:
    return [
        Table(
            "培训 Training sessions",
            [
                "时间 Time",
                "主题 Topic",
                "讲师 Trainer",
                "地点 Place",
                "签到人数 Attendees",
                "评价数 Ratings",
                "平均评分 Mean rating",
                "资料 Materials",
            ],  # fmt: skip
            [
                [
                    local_text(s.starts_at),
                    s.topic,
                    s.trainer,
                    s.place,
                    s.attendees,
                    s.ratings,
                    s.mean_rating,
                    "、".join(s.materials),
                ]  # fmt: skip
                for s in report.sessions
            ],
        ),
        Table(
            "培训签到（按单位）Training attendees by unit",
            ["单位 Unit", "签到人次 Attendees"],
            [[u.unit, u.attendees] for u in report.attendees_by_unit],
        ),
        Table(
            "培训资料交付 Training materials delivered",
            ["培训 Session", "文件 File", "大小 Size (KB)"],
            [[m.session, m.filename, round(m.size / 1024, 1)] for m in report.materials],
        ),
    ]


def visit_tables(report: VisitReport) -> list[Table]:
    return [
        Table(
            "用户回访（按单位）User visits planned and done, by unit",
            ["单位 Unit", "应回访 Planned", "已回访 Done", "未回访 Outstanding", "满意度 Satisfaction"],
            [[u.unit, u.planned, u.done, u.outstanding, u.mean_satisfaction] for u in report.by_unit],
        ),
        Table(
            "回访发现的隐患及处理 Hidden risks found on visits and what became of them",
            ["单位 Unit", "回访时间 Visited", "隐患 Risk", "工单 Ticket", "工单状态 Ticket status", "改进措施 Measure"],
            [
                [
                    r.unit,
                    local_text(r.visited_at),
                    r.description,
                    r.ticket_number or "未转工单 not ticketed",
                    name(STATUS, r.ticket_status),
                    r.measure_title or "—",
                ]  # fmt: skip
                for r in report.risks
            ],
        ),
    ]
