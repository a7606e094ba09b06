"""The stock report (备品备件报表): per part and store, what is on hand against the minimum and what was
received, issued and returned in a period (days in Asia/Shanghai), with the flagged reconciliations of the
period; as JSON or as an XLSX workbook. Reporting's other formats (CSV, PDF) are still to come."""

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.spares import rules
from assets.spares.models import SpareMovement, SpareReconciliation
from assets.spares.schemas import ReconciliationOut, ReportRow, StockReport
from assets.spares.service import reconciliations_query, stock_query, totals

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOW_FILL = PatternFill("solid", fgColor="FDE2E1")


def bounds(period_from: date, period_to: date) -> tuple[datetime, datetime]:
    """The period's instants: from the start of its first day to the end of its last, Asia/Shanghai."""
    start = datetime.combine(period_from, time(), SHANGHAI)
    return start, datetime.combine(period_to + timedelta(days=1), time(), SHANGHAI)


async def build(session: AsyncSession, period_from: date, period_to: date) -> StockReport:
    start, end = bounds(period_from, period_to)
    moved = await session.execute(
        select(SpareMovement.part_id, SpareMovement.store_id, SpareMovement.kind, func.sum(SpareMovement.quantity))
        .where(SpareMovement.at >= start, SpareMovement.at < end)
        .group_by(SpareMovement.part_id, SpareMovement.store_id, SpareMovement.kind)
    )
    flows = {(p, s, k): int(q) for p, s, k, q in moved.all()}
    stock = (await session.execute(stock_query())).all()
    part_totals = await totals(session, list({part.id for _, part, _ in stock}))
    rows = []
    for held, part, store in stock:
        total = part_totals.get(part.id, 0)
        rows.append(
            ReportRow(
                part_number=part.part_number,
                name=part.name,
                store_code=store.code,
                store_name=store.name,
                on_hand=held.on_hand,
                part_on_hand=total,
                minimum_stock=part.minimum_stock,
                low=rules.is_low(total, part.minimum_stock),
                received=flows.get((part.id, store.id, "received"), 0),
                issued=flows.get((part.id, store.id, "issued"), 0),
                returned=flows.get((part.id, store.id, "returned"), 0),
            )
        )
    flagged = await session.scalars(
        reconciliations_query(flagged=True).where(
            and_(SpareReconciliation.reconciled_at >= start, SpareReconciliation.reconciled_at < end)
        )
    )
    return StockReport(
        period_from=period_from,
        period_to=period_to,
        rows=rows,
        flagged=[ReconciliationOut.model_validate(r) for r in flagged],
    )


STOCK_COLUMNS = (
    ("part_number", "备件编号"),
    ("name", "备件名称"),
    ("store_code", "库房编码"),
    ("store_name", "库房"),
    ("on_hand", "库存"),
    ("part_on_hand", "合计库存"),
    ("minimum_stock", "最低库存"),
    ("low", "低于最低库存"),
    ("received", "期间入库"),
    ("issued", "期间领用"),
    ("returned", "期间退回"),
)
FLAGGED_COLUMNS = (
    ("ticket_number", "工单号"),
    ("part_number", "备件编号"),
    ("name", "备件名称"),
    ("used", "使用数量"),
    ("issued", "领用数量"),
    ("unissued", "未领用数量"),
    ("outcome", "核对结果"),
    ("reconciled_at", "核对时间"),
)
OUTCOME_LABELS = {
    rules.ReconciliationOutcome.USED_NOT_ISSUED: "使用但未领用",
    rules.ReconciliationOutcome.UNKNOWN_PART: "目录中无此备件",
}


def _cell(row: ReportRow, name: str) -> object:
    if name == "low":
        return "是" if row.low else "否"
    return getattr(row, name)


def xlsx(report: StockReport) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "库存"
    sheet.append([f"备品备件报表 {report.period_from.isoformat()} 至 {report.period_to.isoformat()}"])
    sheet.append([title for _, title in STOCK_COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in report.rows:
        sheet.append([_cell(row, name) for name, _ in STOCK_COLUMNS])
        if row.low:
            for cell in sheet[sheet.max_row]:
                cell.fill = LOW_FILL
    flagged = book.create_sheet("核对异常")
    flagged.append([title for _, title in FLAGGED_COLUMNS])
    for cell in flagged[1]:
        cell.font = Font(bold=True)
    for line in report.flagged:
        values = []
        for name, _ in FLAGGED_COLUMNS:
            value = getattr(line, name)
            if name == "outcome":
                value = OUTCOME_LABELS.get(rules.ReconciliationOutcome(value), value)
            elif name == "reconciled_at":
                value = value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
            values.append(value)
        flagged.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
