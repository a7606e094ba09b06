"""`GET /api/reports/sla`: every breached SLA clock of the tickets reported in the period, with its due
instant and how late it was (until it stopped, or until now while it still runs), and the clocks still
overdue now whatever the period."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Document, Duration, Table
from reporting import labels
from reporting.periods import local_text
from reporting.reports.filters import Filters

FINISHED_STATUSES = ("resolved", "closed", "cancelled")


class Breach(BaseModel):
    ticket_id: UUID
    number: str | None
    title: str | None
    unit_id: UUID | None
    unit_name: str | None
    category: str | None
    priority: str | None
    status: str | None
    metric: str
    due_at: datetime | None
    breached_at: datetime
    stopped_at: datetime | None
    lateness_s: int
    still_open: bool


class BreachList(BaseModel):
    period_label: str
    generated_at: datetime
    breaches: list[Breach]


_SELECT = (
    "SELECT f.ticket_id, f.number, f.title, f.unit_id, u.name AS unit_name, f.category, f.priority, f.status,"
    " c.metric, c.due_at, c.breached_at, coalesce(c.met_at, c.cancelled_at) AS stopped_at "
    "FROM sla_clock_fact c JOIN ticket_fact f USING (ticket_id) LEFT JOIN unit_dim u ON u.unit_id = f.unit_id "
)


def _breach(row: Row[Any], now: datetime) -> Breach:
    data = dict(row._mapping)
    stopped = data["stopped_at"]
    due = data["due_at"] or data["breached_at"]
    still_open = stopped is None and data["status"] not in FINISHED_STATUSES
    end = stopped or now
    return Breach(**data, lateness_s=max(0, int((end - due).total_seconds())), still_open=still_open)


async def breaches(session: AsyncSession, filters: Filters) -> BreachList:
    where, params = filters.sql("f")
    now = datetime.now(UTC)
    rows = await session.execute(
        text(f"{_SELECT} WHERE c.breached_at IS NOT NULL AND {where} ORDER BY c.breached_at, f.number"), params
    )
    return BreachList(period_label=filters.period.label, generated_at=now, breaches=[_breach(r, now) for r in rows])


async def overdue_now(session: AsyncSession, filters: Filters) -> list[Breach]:
    """Breached clocks that have not stopped on tickets still open, created up to the period's end."""
    where, params = filters.sql("f", by_day=False)
    params["last_day"] = filters.period.last_day
    now = datetime.now(UTC)
    rows = await session.execute(
        text(
            f"{_SELECT} WHERE c.breached_at IS NOT NULL AND c.met_at IS NULL AND c.cancelled_at IS NULL"
            f" AND f.status NOT IN ('resolved', 'closed', 'cancelled') AND f.day <= :last_day AND {where}"
            " ORDER BY c.due_at"
        ),
        params,
    )
    return [_breach(r, now) for r in rows]


def _late(seconds: int) -> Duration:
    return Duration(float(seconds - seconds % 60))  # whole minutes late, never rounded up


def breach_table(title: str, items: list[Breach]) -> Table:
    return Table(
        title,
        [
            "工单号 Ticket",
            "标题 Title",
            "单位 Unit",
            "指标 Metric",
            "时限 Due",
            "超时时刻 Breached",
            "超时 Late by",
            "状态 Status",
        ],
        [
            [
                b.number or str(b.ticket_id),
                b.title or "",
                b.unit_name or (str(b.unit_id) if b.unit_id else ""),
                labels.name(labels.METRIC, b.metric),
                local_text(b.due_at),
                local_text(b.breached_at),
                _late(b.lateness_s),
                labels.name(labels.STATUS, b.status),
            ]
            for b in items
        ],
    )


def breach_document(result: BreachList, filters: Filters) -> Document:
    return Document(
        title="SLA 超时明细 SLA breaches",
        period=filters.period,
        generated_at=result.generated_at,
        filename=f"sla_{filters.period.first_day}_{filters.period.last_day}",
        sections=[breach_table("超时工单 Breached clocks", result.breaches)],
    )
