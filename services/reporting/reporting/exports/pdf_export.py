"""PDF: A4, a Chinese TrueType font embedded (subset) so the file reads the same on any machine, tables
that repeat their header on every page, and charts drawn as vector graphics."""

import io
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from opsdesk_shared.errors import ServiceUnavailable
from reporting.exports.document import Chart, Document, Table, Text

FONT = "OpsDeskCJK"
_PALETTE = [colors.HexColor(c) for c in ("#3366cc", "#dc3912", "#ff9900", "#109618", "#990099", "#0099c6")]


@cache
def register_font(path: Path) -> str:
    if not path.is_file():
        raise ServiceUnavailable(
            f"PDF export needs a Chinese TrueType font at {path} (Debian: apt-get install fonts-wqy-microhei, "
            "or set OPSDESK_REPORT_FONT_PATH)"
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
    text = f"{value:,.2f}" if isinstance(value, Decimal) else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_CHUNK_ROWS = 200  # long tables are laid out in blocks: splitting one huge table across pages is quadratic


def _column_widths(table: Table, font: str, size: float, width: float) -> list[float]:
    """Columns as wide as their content (header words and the first rows), scaled to the page."""
    natural = []
    for i, title in enumerate(table.columns):
        sample = [max((pdfmetrics.stringWidth(w, font, size) for w in title.split()), default=0)]
        sample += [pdfmetrics.stringWidth(_text(row[i]), font, size) for row in table.rows[:200]]
        natural.append(min(max(sample) + 8, width * 0.4))
    scale = width / sum(natural)
    return [w * scale for w in natural]


def _text(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, Decimal) else str(value)


def _tables(table: Table, styles: dict[str, ParagraphStyle], width: float) -> list[LongTable]:
    style = styles["cell"]
    widths = _column_widths(table, style.fontName, style.fontSize, width)

    def cell(value: Any, column_width: float) -> Any:
        # Text that fits stays a plain string; only what must wrap pays for a Paragraph.
        text = _text(value)
        if pdfmetrics.stringWidth(text, style.fontName, style.fontSize) <= column_width - 6:
            return text
        return Paragraph(_escape(text), style)

    header = [Paragraph(_escape(c), style) for c in table.columns]
    rows = [[cell(v, w) for v, w in zip(row, widths, strict=True)] for row in table.rows]
    if not rows:
        rows = [["（无 none）"] + [""] * (len(table.columns) - 1)]
    flows = []
    for start in range(0, len(rows), _CHUNK_ROWS):
        flow = LongTable([header, *rows[start : start + _CHUNK_ROWS]], colWidths=widths, repeatRows=1)
        flow.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), style.fontName, style.fontSize, style.leading),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f6f8fa")]),
                ]
            )
        )
        flows.append(flow)
    return flows


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
