"""XLSX: a cover sheet (title, period, generation time, text sections), then one sheet per table with
a bold header row frozen under the title, and one per chart with its data and a native Excel chart.
Every row goes in through `_append`, which neutralises text that Excel would run as a formula (a ticket
title is whatever a requester typed) and keeps numbers as numbers: amounts, durations (a time of day
format counting hours past 24) and percentages are stored as numbers with a number format, so a
supervisor can sum and sort them."""

import io
import re
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from opsdesk_shared.documents.document import Chart, Document, Duration, Percent, Signatures, Table, Text
from opsdesk_shared.spreadsheet_cells import neutralise

_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_EMPHASIS_FILL = PatternFill("solid", fgColor="FDE2E1")  # a Table's emphasised rows
_BOLD = Font(bold=True)
_INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


MONEY_FORMAT = "#,##0.00"
DURATION_FORMAT = "[h]:mm"  # hours and minutes; [h] keeps counting past a day
PERCENT_FORMAT = "0.00%"  # two decimals, as the PDF and CSV print them


def _cell(ws: Worksheet, value: Any) -> Any:
    if isinstance(value, Decimal):
        return _formatted(ws, float(value), MONEY_FORMAT)
    if isinstance(value, Duration):
        return _formatted(ws, value.seconds / 86400, DURATION_FORMAT)  # spreadsheets count time in days
    if isinstance(value, Percent):
        return _formatted(ws, value.value / 100, PERCENT_FORMAT)
    return neutralise(value)  # text only: numbers pass through untouched


def _formatted(ws: Worksheet, number: float, number_format: str) -> Cell:
    cell = Cell(ws, value=number)
    cell.number_format = number_format
    return cell


def _append(ws: Worksheet, values: list[Any]) -> None:
    ws.append([_cell(ws, v) for v in values])


def _sheet_title(title: str, taken: set[str]) -> str:
    base = _INVALID_SHEET_CHARS.sub(" ", title.split(" ")[0])[:28] or "Sheet"
    name, n = base, 2
    while name in taken:
        name, n = f"{base[:26]}{n}", n + 1
    taken.add(name)
    return name


def _header(ws: Worksheet, document: Document, title: str) -> None:
    _append(ws, [title])
    ws["A1"].font = Font(bold=True, size=13)
    _append(ws, [" · ".join(document.heading_lines)])
    ws.append([])


def _widths(ws: Worksheet, first_row: int) -> None:
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is not None:
                # CJK characters are about twice as wide as Latin ones.
                text = str(cell.value)
                width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
                widths[cell.column] = max(widths.get(cell.column, 0), min(width + 2, 60))
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = max(width, 8)


def _table_sheet(ws: Worksheet, document: Document, table: Table) -> None:
    _header(ws, document, table.title)
    _append(ws, table.columns)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for i, row in enumerate(table.rows):
        _append(ws, row)
        if i in table.emphasis:
            for cell in ws[ws.max_row]:
                cell.fill = _EMPHASIS_FILL
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if table.rows:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(table.columns))}{header_row + len(table.rows)}"
    _widths(ws, header_row)


def _chart_sheet(ws: Worksheet, document: Document, chart: Chart) -> None:
    _header(ws, document, chart.title)
    ws.append(["标签 Label", "数值 Value"])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    for label, value in zip(chart.labels, chart.values, strict=True):
        _append(ws, [label, value])
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    _widths(ws, header_row)
    if not chart.values:
        return
    native = {"bar": BarChart, "line": LineChart, "pie": PieChart}[chart.kind]()
    native.title = chart.title
    data = Reference(ws, min_col=2, min_row=header_row, max_row=ws.max_row)
    native.add_data(data, titles_from_data=True)
    native.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=ws.max_row))
    native.width, native.height = 22, 11
    ws.add_chart(native, "D4")


def _signature_rows(cover: Worksheet, block: Signatures) -> None:
    cover.append([])
    _append(cover, [block.title])
    cover.cell(row=cover.max_row, column=1).font = _BOLD
    for role, name in block.parties:
        _append(cover, [f"{role}：{name}"])
        for line in block.lines:
            _append(cover, [f"    {line}："])


def xlsx_bytes(document: Document) -> bytes:
    workbook = Workbook()
    cover = workbook.active
    taken = {"封面 Cover"}
    cover.title = "封面 Cover"
    _append(cover, [document.title])
    cover["A1"].font = Font(bold=True, size=15)
    for line in document.heading_lines:
        _append(cover, [line])
    for section in document.sections:
        if isinstance(section, Text):
            cover.append([])
            _append(cover, [section.title])
            cover.cell(row=cover.max_row, column=1).font = _BOLD
            _append(cover, [section.body])
            cover.cell(row=cover.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        elif isinstance(section, Signatures):
            _signature_rows(cover, section)
        elif isinstance(section, Table):
            _table_sheet(workbook.create_sheet(_sheet_title(section.title, taken)), document, section)
        elif isinstance(section, Chart):
            _chart_sheet(workbook.create_sheet(_sheet_title(section.title, taken)), document, section)
    cover.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
