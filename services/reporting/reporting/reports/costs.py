"""`GET /api/reports/costs`: repair costs per resolved work order with who bears them (SPEC §2: the
vendor up to 10,000 CNY per repair, the bureau above), and the totals per bearer."""

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Document, Table
from reporting import labels
from reporting.periods import local_text
from reporting.reports.filters import Filters


class CostLine(BaseModel):
    work_order_id: UUID
    ticket_id: UUID
    ticket_number: str | None
    unit_name: str | None
    engineer_name: str
    resolved_at: datetime
    remote: bool
    summary: str
    total_cost: Decimal
    cost_borne_by: str


class CostReport(BaseModel):
    period_label: str
    generated_at: datetime
    lines: list[CostLine]
    total: Decimal
    by_bearer: dict[str, Decimal]
    repairs_by_bearer: dict[str, int]


async def costs(session: AsyncSession, filters: Filters) -> CostReport:
    """Work orders resolved in the period (by resolution time); unit and category filters apply through
    their ticket."""
    where, params = filters.sql("f", by_day=False)
    params.update(starts=filters.period.starts_at, ends=filters.period.ends_at)
    rows = await session.execute(
        text(
            "SELECT c.work_order_id, c.ticket_id, coalesce(c.ticket_number, f.number) AS ticket_number,"
            " u.name AS unit_name, c.engineer_name, c.resolved_at, c.remote, c.summary, c.total_cost, c.cost_borne_by "
            "FROM cost_fact c LEFT JOIN ticket_fact f USING (ticket_id) LEFT JOIN unit_dim u ON u.unit_id = f.unit_id "
            f"WHERE c.resolved_at >= :starts AND c.resolved_at < :ends AND {where} ORDER BY c.resolved_at"
        ),
        params,
    )
    lines = [CostLine(**dict(r._mapping)) for r in rows]
    by_bearer: dict[str, Decimal] = {"vendor": Decimal("0.00"), "bureau": Decimal("0.00")}
    repairs: dict[str, int] = {"vendor": 0, "bureau": 0}
    for line in lines:
        by_bearer[line.cost_borne_by] = by_bearer.get(line.cost_borne_by, Decimal("0.00")) + line.total_cost
        repairs[line.cost_borne_by] = repairs.get(line.cost_borne_by, 0) + 1
    return CostReport(
        period_label=filters.period.label,
        generated_at=datetime.now(UTC),
        lines=lines,
        total=sum((line.total_cost for line in lines), Decimal("0.00")),
        by_bearer=by_bearer,
        repairs_by_bearer=repairs,
    )


def cost_tables(report: CostReport) -> list[Table]:
    return [
        Table(
            "费用汇总 Cost totals",
            ["承担方 Borne by", "维修次数 Repairs", "金额 Amount (CNY)"],
            [
                [labels.name(labels.BEARER, k), report.repairs_by_bearer.get(k, 0), v]
                for k, v in report.by_bearer.items()
            ]
            + [["合计 Total", len(report.lines), report.total]],
        ),
        Table(
            "维修费用明细 Repair costs",
            [
                "工单号 Ticket",
                "单位 Unit",
                "工程师 Engineer",
                "解决时间 Resolved",
                "方式 Mode",
                "摘要 Summary",
                "金额 Amount (CNY)",
                "承担方 Borne by",
            ],
            [
                [
                    line.ticket_number or str(line.ticket_id),
                    line.unit_name or "",
                    line.engineer_name,
                    local_text(line.resolved_at),
                    "远程 remote" if line.remote else "现场 on site",
                    line.summary,
                    line.total_cost,
                    labels.name(labels.BEARER, line.cost_borne_by),
                ]
                for line in report.lines
            ],
        ),
    ]


def cost_document(report: CostReport, filters: Filters) -> Document:
    return Document(
        title="维修费用报告 Repair costs",
        period=filters.period,
        generated_at=report.generated_at,
        filename=f"costs_{filters.period.first_day}_{filters.period.last_day}",
        sections=list(cost_tables(report)),
    )
