"""PDF: A4, a Chinese TrueType font embedded (subset) so the file reads the same on any machine, tables
that repeat their header on every page, and charts drawn as vector graphics."""

import io
import re
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PlatypusTable

from opsdesk_shared.documents.document import NUMERIC, Chart, Document, Signatures, Table, Text, cell_text
from opsdesk_shared.errors import ServiceUnavailable

FONT = "OpsDeskCJK"
_EMPHASIS = colors.HexColor("#fde2e1")  # a Table's emphasised rows
_PALETTE = [colors.HexColor(c) for c in ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6")]


@cache
def register_font(path: Path) -> str:
    if not path.is_file():
        raise ServiceUnavailable(
            f"PDF export needs a Chinese TrueType font at {path} (Debian: apt-get install fonts-wqy-microhei, "
            "or set the service's font path setting)",
            code="report.font_missing",
        )
    pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=22, spaceAfter=4),
        "meta": ParagraphStyle("meta", fontName=font, fontSize=8.5, leading=12, textColor=colors.HexColor("#555555")),
        "h2": ParagraphStyle(
            "h2", fontName=font, fontSize=11.5, leading=16, spaceBefore=10, spaceAfter=4, keepWithNext=1
        ),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, wordWrap="CJK"),
        "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14, wordWrap="CJK"),
    }


def _escape(value: Any) -> str:
    return cell_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MARKED_POINTS = 62  # up to two months of days get a marker on every point
_CHUNK_ROWS = 200  # long tables are laid out in blocks: splitting one huge table across pages is quadratic
_SAMPLE_ROWS = 200  # widths are measured on the first rows: a long table's later rows look the same
_PAD = 6  # the cell's left and right padding together
_FONT_SIZES = (8, 7, 6.5, 6)  # a table too wide for the page at 8 pt is set smaller, never split mid-token
_SMALLEST = (5.5, 5)  # a dozen columns of large amounts
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _heading_lines(title: str) -> list[str]:
    """A bilingual column title on two lines, Chinese above English ("姓名 Name" → 姓名 / Name), so that
    neither language is split to fit."""
    words = title.split(" ")
    first_latin = next((i for i, w in enumerate(words) if not _CJK.search(w)), len(words))
    zh, en = " ".join(words[:first_latin]), " ".join(words[first_latin:])
    return [line for line in (zh, en) if line]


_NARROWEST = 0.6  # of the page width, for a table whose content is narrow
_WHOLE_LATIN = 20  # Latin text this short (a time, a ticket number, "on site") is kept on one line


def _unbreakable(value: Any, font: str, size: float, *, whole_lines: bool = False) -> float:
    """The narrowest a cell may be: a number whole, short Latin text whole; other text as wide as its
    longest word (CJK text may break between any two characters, so it asks for one character)."""
    text = cell_text(value)
    if isinstance(value, NUMERIC) or whole_lines or (len(text) <= _WHOLE_LATIN and not _CJK.search(text)):
        return float(pdfmetrics.stringWidth(text, font, size))
    widest = 0.0
    for word in text.split():
        widest = max(widest, pdfmetrics.stringWidth(word[:1] if _CJK.search(word) else word, font, size))
    return widest


def _column_widths(table: Table, font: str, size: float, width: float, *, whole_headings: bool) -> list[float] | None:
    """Columns as wide as their content: each at least its widest unbreakable token (whole numbers, the
    heading's lines or at least its words), the room left shared out by how much more each column's
    content wants. None when even that does not fit the page at this size."""
    least, wanted = [], []
    for i, title in enumerate(table.columns):
        sample = [row[i] for row in table.rows[:_SAMPLE_ROWS]]
        heading = [_unbreakable(line, font, size, whole_lines=whole_headings) for line in _heading_lines(title)]
        # A long word of free text (a URL in a summary) may break rather than push every column to wrapping.
        cells = [
            _unbreakable(v, font, size) if isinstance(v, NUMERIC) else min(_unbreakable(v, font, size), width * 0.35)
            for v in sample
        ]
        least.append(max(heading + cells) + _PAD)
        natural = [pdfmetrics.stringWidth(line, font, size) for line in _heading_lines(title)]
        natural += [pdfmetrics.stringWidth(cell_text(v), font, size) for v in sample]
        # No column asks for more than 40% of the page: one long text must not starve its neighbours.
        wanted.append(max(min(max(natural) + _PAD, width * 0.4), least[-1]))
    if sum(least) > width:
        return None
    if sum(wanted) <= width:
        # Everything fits on one line: a small table stays compact (at least 60% of the page, so the
        # tables of a report still line up), its columns widened in proportion to what they hold.
        scale = max(sum(wanted), _NARROWEST * width) / sum(wanted)
        return [w * scale for w in wanted]
    room = width - sum(least)
    extra = [w - m for w, m in zip(wanted, least, strict=True)]
    return [m + room * e / sum(extra) for m, e in zip(least, extra, strict=True)]


def _layout(table: Table, font: str, width: float) -> tuple[float, list[float]]:
    """The largest size at which the table fits: headings whole if possible, else wrapped between words,
    and only then the smallest sizes."""
    attempts = [(True, size) for size in _FONT_SIZES] + [(False, size) for size in _FONT_SIZES + _SMALLEST]
    for whole_headings, size in attempts:
        widths = _column_widths(table, font, size, width, whole_headings=whole_headings)
        if widths is not None:
            return size, widths
    # Too many columns for A4 even at the smallest size: equal columns (may wrap, never overflows).
    return _SMALLEST[-1], [width / len(table.columns)] * len(table.columns)


def _tables(table: Table, styles: dict[str, ParagraphStyle], width: float) -> list[LongTable]:
    base = styles["cell"]
    size, widths = _layout(table, base.fontName, width)
    leading = size * 1.25
    # Wrapped between words; a word wider than the column (Chinese is written without spaces) is split
    # where it must. ReportLab's CJK wrapping would break Latin words anywhere ("on sit / e").
    text_style = ParagraphStyle("cell-text", parent=base, fontSize=size, leading=leading, wordWrap=None)
    head = ParagraphStyle("head", parent=text_style, alignment=TA_CENTER)
    numeric = [bool(table.rows) and all(isinstance(r[i], NUMERIC) for r in table.rows) for i in range(len(widths))]

    def cell(value: Any, column_width: float) -> Any:
        # Numbers and text that fits stay plain strings (never wrapped); only what must wrap pays for a
        # Paragraph.
        text = cell_text(value)
        if isinstance(value, NUMERIC) or pdfmetrics.stringWidth(text, base.fontName, size) <= column_width - _PAD:
            return text
        return Paragraph(_escape(text), text_style)

    header = [Paragraph("<br/>".join(_escape(line) for line in _heading_lines(c)), head) for c in table.columns]
    rows = [[cell(v, w) for v, w in zip(row, widths, strict=True)] for row in table.rows]
    if not rows:
        rows = [["（无 none）"] + [""] * (len(table.columns) - 1)]
    commands: list[Any] = [
        ("FONT", (0, 0), (-1, -1), base.fontName, size, leading),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD / 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD / 2),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fa")]),
    ]
    commands += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i, is_number in enumerate(numeric) if is_number]
    flows = []
    for start in range(0, len(rows), _CHUNK_ROWS):
        flow = LongTable([header, *rows[start : start + _CHUNK_ROWS]], colWidths=widths, repeatRows=1, hAlign="LEFT")
        shaded = [i - start + 1 for i in sorted(table.emphasis) if start <= i < start + _CHUNK_ROWS]
        flow.setStyle(TableStyle(commands + [("BACKGROUND", (0, i), (-1, i), _EMPHASIS) for i in shaded]))
        flows.append(flow)
    return flows


def _signatures(block: Signatures, styles: dict[str, ParagraphStyle], width: float) -> Any:
    """One column per party: its role and name, then a line to sign, date and seal on each. Kept on one
    page with its title."""
    style = ParagraphStyle("sign", parent=styles["body"], leading=16)
    column = width / len(block.parties)
    cells = []
    for role, name in block.parties:
        lines = [f"<b>{_escape(role)}</b>", _escape(name)] + [f"{_escape(line)}：{'_' * 24}" for line in block.lines]
        cells.append(
            [Paragraph(line, style) for line in lines[:2]]
            + [Spacer(1, 2 * mm)]
            + [Paragraph(line, ParagraphStyle("sign-line", parent=style, spaceBefore=9 * mm)) for line in lines[2:]]
        )
    table = PlatypusTable([cells], colWidths=[column] * len(block.parties))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 4)]))
    return KeepTogether([Paragraph(_escape(block.title), styles["h2"]), table])


def _chart(chart: Chart, font: str, width: float) -> Drawing:
    height = 70 * mm
    drawing = Drawing(width, height)
    if not chart.values:
        drawing.add(String(10, height / 2, "（无数据 no data）", fontName=font, fontSize=9))
        return drawing
    if chart.kind == "pie":
        pie = Pie()
        pie.x, pie.y, pie.width, pie.height = 40, 15, height - 40, height - 40
        pie.data = list(chart.values)
        total = sum(chart.values) or 1
        pie.labels = [f"{label} {100 * v / total:.0f}%" for label, v in zip(chart.labels, chart.values, strict=True)]
        pie.simpleLabels = 1
        pie.slices.fontName = font
        pie.slices.fontSize = 8
        for i in range(len(chart.values)):
            pie.slices[i].fillColor = _PALETTE[i % len(_PALETTE)]
        drawing.add(pie)
        return drawing
    plot = VerticalBarChart() if chart.kind == "bar" else HorizontalLineChart()
    plot.x, plot.y, plot.width, plot.height = 35, 25, width - 50, height - 35
    plot.data = [list(chart.values)]
    step = max(1, len(chart.labels) // 12)  # at most a dozen labels under the axis
    plot.categoryAxis.categoryNames = [label if i % step == 0 else "" for i, label in enumerate(chart.labels)]
    plot.categoryAxis.labels.fontName = font
    plot.categoryAxis.labels.fontSize = 7
    plot.valueAxis.labels.fontName = font
    plot.valueAxis.labels.fontSize = 7
    plot.valueAxis.valueMin = 0
    if chart.kind == "bar":
        plot.bars[0].fillColor = _PALETTE[0]
    else:
        plot.lines[0].strokeColor = _PALETTE[0]
        if len(chart.values) <= _MARKED_POINTS:
            # A marker on every point: a period of one day (or one active day) still shows its value.
            plot.lines[0].symbol = makeMarker("FilledCircle", size=4)
    if len(chart.values) > _MARKED_POINTS:  # a year of days: a tick per day would paint the axis black
        plot.categoryAxis.visibleTicks = 0
    drawing.add(plot)
    return drawing


def pdf_bytes(document: Document, font_path: Path) -> bytes:
    font = register_font(font_path)
    styles = _styles(font)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=document.title,
        author="OpsDesk",
    )
    width = A4[0] - 30 * mm
    story: list[Any] = [Paragraph(_escape(document.title), styles["title"])]
    story += [Paragraph(_escape(line), styles["meta"]) for line in document.heading_lines]
    story.append(Spacer(1, 4 * mm))
    for section in document.sections:
        if isinstance(section, Signatures):
            story.append(_signatures(section, styles, width))
            continue
        story.append(Paragraph(_escape(section.title), styles["h2"]))
        if isinstance(section, Table):
            story += _tables(section, styles, width)
        elif isinstance(section, Chart):
            story.append(_chart(section, font, width))
        elif isinstance(section, Text):
            story += [Paragraph(_escape(p), styles["body"]) for p in section.body.splitlines() or [""]]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"{document.title} · 第 {doc.page} 页 page {doc.page}")
        canvas.restoreState()

    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
