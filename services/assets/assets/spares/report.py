"""The stock report (备品备件报表): per part and store, what is on hand against the minimum and what was
received, issued and returned in a period (days in Asia/Shanghai), with the flagged reconciliations of the
period; as JSON, an XLSX workbook, a CSV file or a PDF.

The figures are the store's own (stock is transactional here, and the reconciliations are assets' work), so
assets renders every format itself, laid out as reporting lays out the other reports: the same title,
period and generation lines, the same sections, UTF-8 CSV with a byte-order mark whose text cells cannot
open as formulas, an A4 PDF with the Chinese font embedded and headers repeated on every page."""

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.ledger.label_pdf import _DRAWING, register_font  # one drawing at a time, as the labels
from assets.spares import rules
from assets.spares.models import SpareMovement, SpareReconciliation
from assets.spares.schemas import ReconciliationOut, ReportRow, StockReport
from assets.spares.service import reconciliations_query, stock_query, totals
from opsdesk_shared.spreadsheet_cells import neutralise

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The days a period may name, as reporting's periods (year 9999's last day has no instant after it).
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)
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


TITLE = "备品备件报表 Spare-parts report"
STOCK_TITLE = "库存及期间出入库 Stock and movements"
FLAGGED_TITLE = "核对异常 Flagged reconciliations"
STOCK_HEADERS = (
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
)
FLAGGED_HEADERS = (
    "工单号 Ticket",
    "备件编号 Part no.",
    "备件名称 Name",
    "使用数量 Used",
    "领用数量 Issued",
    "未领用数量 Unissued",
    "核对结果 Outcome",
    "核对时间 Reconciled",
)


def filename(report: StockReport, extension: str) -> str:
    return f"spares_{report.period_from.isoformat()}_{report.period_to.isoformat()}.{extension}"


def _heading(report: StockReport, generated_at: datetime) -> list[str]:
    return [
        f"统计期间 Period: {report.period_from.isoformat()} – {report.period_to.isoformat()}",
        f"生成时间 Generated: {generated_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} (Asia/Shanghai)",
    ]


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
        line.reconciled_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
    ]


def csv_bytes(report: StockReport, generated_at: datetime | None = None) -> bytes:
    """Title, period, the stock table, the flagged reconciliations; part names and numbers are whatever a
    keeper typed, so every text cell is neutralised (none opens as a formula)."""
    out = io.StringIO()
    writer = csv.writer(out)
    rows: list[list[object]] = [[TITLE]]
    rows += [[line] for line in _heading(report, generated_at or datetime.now(UTC))]
    rows += [[], [STOCK_TITLE], list(STOCK_HEADERS), *(_stock_cells(r) for r in report.rows)]
    rows += [[], [FLAGGED_TITLE], list(FLAGGED_HEADERS), *(_flagged_cells(f) for f in report.flagged)]
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode()


def pdf_bytes(report: StockReport, font_path: Path, generated_at: datetime | None = None) -> bytes:
    """A landscape A4 PDF (eleven columns), the Chinese font embedded, rows below their minimum shaded."""
    font = register_font(font_path)
    body = ParagraphStyle("body", fontName=font, fontSize=7, leading=9)
    number = ParagraphStyle("number", parent=body, alignment=TA_RIGHT)
    head = ParagraphStyle("head", parent=body, textColor=colors.white)
    title = ParagraphStyle("title", fontName=font, fontSize=15, leading=19, spaceAfter=4)
    section = ParagraphStyle("section", fontName=font, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    note = ParagraphStyle("note", fontName=font, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))

    def table(headers: tuple[str, ...], rows: list[list[object]], low_rows: list[int]) -> LongTable:
        data = [[Paragraph(h, head) for h in headers]]
        data += [[Paragraph(_escape(v), number if isinstance(v, int) else body) for v in row] for row in rows] or [
            [Paragraph("（无 none）", body)] + [""] * (len(headers) - 1)
        ]
        grid = LongTable(data, repeatRows=1, hAlign="LEFT")
        style = [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#3366cc")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        style += [("BACKGROUND", (0, i + 1), (-1, i + 1), colors.HexColor("#FDE2E1")) for i in low_rows]
        grid.setStyle(TableStyle(style))
        return grid

    story = [Paragraph(TITLE, title)]
    story += [Paragraph(line, note) for line in _heading(report, generated_at or datetime.now(UTC))]
    story += [
        Paragraph(STOCK_TITLE, section),
        table(STOCK_HEADERS, [_stock_cells(r) for r in report.rows], [i for i, r in enumerate(report.rows) if r.low]),
        Spacer(1, 4 * mm),
        Paragraph(FLAGGED_TITLE, section),
        table(FLAGGED_HEADERS, [_flagged_cells(f) for f in report.flagged], []),
    ]
    out = io.BytesIO()
    with _DRAWING:
        doc = SimpleDocTemplate(
            out,
            pagesize=landscape(A4),
            leftMargin=12 * mm,
            rightMargin=12 * mm,
            topMargin=12 * mm,
            bottomMargin=12 * mm,
            title=TITLE,
        )
        doc.build(story)
    return out.getvalue()


def _escape(value: object) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
