"""The stock report (备品备件报表): per part and store, what is on hand against the minimum and what was
received, issued and returned in a period (days in Asia/Shanghai), with the flagged reconciliations of the
period; as JSON, or as a file: an XLSX workbook, a CSV file or a PDF.

The figures are the store's own (stock is transactional here, and the reconciliations are assets' work), so
assets builds them; the files are a `Document` rendered by the shared renderer (`opsdesk_shared.documents`),
the same that renders reporting's reports: the same title, period and generation lines, UTF-8 CSV with a
byte-order mark whose text cells cannot open as formulas, an A4 PDF with the Chinese font embedded and
headers repeated on every page, a workbook with a cover and a sheet per table. Rows below their minimum
are shaded in the PDF and the workbook, and say so in their own column."""

from datetime import UTC, date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.spares import rules
from assets.spares.models import SpareMovement, SpareReconciliation
from assets.spares.schemas import ReconciliationOut, ReportRow, StockReport
from assets.spares.service import reconciliations_query, stock_query, totals
from opsdesk_shared.documents.document import Document, Table
from opsdesk_shared.documents.periods import Period, local_text


def bounds(period_from: date, period_to: date) -> tuple[datetime, datetime]:
    """The period's instants: from the start of its first day to the end of its last, Asia/Shanghai."""
    period = Period("", period_from, period_to)
    return period.starts_at, period.ends_at


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


TITLE = "备品备件报表 Spare-parts report"
STOCK_TITLE = "库存及期间出入库 Stock and movements"
FLAGGED_TITLE = "核对异常 Flagged reconciliations"
STOCK_HEADERS = [
    "备件编号 Part no.",
    "备件名称 Name",
    "库房编码 Store",
    "库房 Store name",
    "库存 On hand",
    "合计库存 Part total",
    "最低库存 Minimum",
    "低于最低库存 Low",
    "期间入库 Received",
    "期间领用 Issued",
    "期间退回 Returned",
]
FLAGGED_HEADERS = [
    "工单号 Ticket",
    "备件编号 Part no.",
    "备件名称 Name",
    "使用数量 Used",
    "领用数量 Issued",
    "未领用数量 Unissued",
    "核对结果 Outcome",
    "核对时间 Reconciled",
]
OUTCOME_LABELS = {
    rules.ReconciliationOutcome.USED_NOT_ISSUED: "使用但未领用",
    rules.ReconciliationOutcome.UNKNOWN_PART: "目录中无此备件",
}


def _stock_cells(row: ReportRow) -> list[object]:
    return [
        row.part_number,
        row.name,
        row.store_code,
        row.store_name,
        row.on_hand,
        row.part_on_hand,
        row.minimum_stock,
        "是 yes" if row.low else "否 no",
        row.received,
        row.issued,
        row.returned,
    ]


def _flagged_cells(line: ReconciliationOut) -> list[object]:
    outcome = rules.ReconciliationOutcome(line.outcome)
    return [
        line.ticket_number or "",
        line.part_number or "",
        line.name,
        line.used,
        line.issued,
        line.unissued,
        f"{OUTCOME_LABELS.get(outcome, line.outcome)} {line.outcome}",
        local_text(line.reconciled_at),
    ]


def document(report: StockReport, generated_at: datetime | None = None) -> Document:
    """The report as a document: the stock table (rows below their minimum emphasised), then the flagged
    reconciliations. The period has no name beyond its days."""
    return Document(
        title=TITLE,
        period=Period("", report.period_from, report.period_to),
        generated_at=generated_at or datetime.now(UTC),
        filename=f"spares_{report.period_from.isoformat()}_{report.period_to.isoformat()}",
        sections=[
            Table(
                STOCK_TITLE,
                STOCK_HEADERS,
                [_stock_cells(r) for r in report.rows],
                emphasis=frozenset(i for i, r in enumerate(report.rows) if r.low),
            ),
            Table(FLAGGED_TITLE, FLAGGED_HEADERS, [_flagged_cells(f) for f in report.flagged]),
        ],
    )
