"""A Table's emphasised rows (stock below its minimum in assets' stock report) are shaded in the XLSX and
the PDF, whichever block of a long table they fall in, and no other row is; a period without a label
states only its days."""

import io
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pypdf
import pytest

from opsdesk_shared.documents.document import Document, Table
from opsdesk_shared.documents.pdf_export import pdf_bytes
from opsdesk_shared.documents.periods import Period
from opsdesk_shared.documents.xlsx_export import xlsx_bytes

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # the services' default font path
SHADE = b".992157 .886275 .882353 rg"  # #fde2e1, as reportlab writes the fill colour


def document(rows: int, emphasis: frozenset[int], label: str = "") -> Document:
    table = Table("库存 Stock", ["备件 Part", "库存 On hand"], [[f"P-{i}", i] for i in range(rows)], emphasis)
    return Document(
        "备品备件报表 Spares",
        Period(label, date(2026, 12, 1), date(2026, 12, 7)),
        datetime(2026, 12, 7, 4, 0, tzinfo=UTC),
        "spares",
        [table],
    )


@pytest.mark.parametrize(
    ("label", "line"),
    [
        ("", "统计期间 Period: 2026-12-01 – 2026-12-07"),
        ("2026-W49", "统计期间 Period: 2026-12-01 – 2026-12-07 (2026-W49)"),
    ],
)
def test_the_period_line_names_the_label_when_there_is_one(label: str, line: str) -> None:
    assert document(1, frozenset(), label).heading_lines[0] == line


@pytest.mark.parametrize(("rows", "emphasis"), [(3, frozenset()), (3, frozenset({0, 2})), (450, frozenset({1, 250}))])
def test_emphasised_rows_are_filled_in_the_workbook(rows: int, emphasis: frozenset[int]) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(document(rows, emphasis))))["库存"]
    data = list(sheet.iter_rows(min_row=5))  # title, period, blank line, header
    filled = {i for i, row in enumerate(data) if all(c.fill.fgColor.rgb == "00FDE2E1" for c in row)}
    assert filled == emphasis


@pytest.mark.parametrize(("rows", "emphasis"), [(3, frozenset()), (3, frozenset({0, 2})), (450, frozenset({1, 250}))])
def test_emphasised_rows_are_shaded_in_the_pdf(rows: int, emphasis: frozenset[int]) -> None:
    pdf = pypdf.PdfReader(io.BytesIO(pdf_bytes(document(rows, emphasis), FONT)))
    assert sum(shaded(page) for page in pdf.pages) == len(emphasis)


def shaded(page: pypdf.PageObject) -> int:
    contents = page.get_contents()
    assert contents is not None
    return int(contents.get_data().count(SHADE))
