"""The documents the bureau signs, rendered from hand-built documents (no database): PDF tables that
never split a word or a number, charts that draw a period with one active day, and XLSX cells that
hold numbers as numbers with number formats."""

import io
import os
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pypdf
import pytest

from opsdesk_shared.documents.csv_export import csv_rows
from opsdesk_shared.documents.document import Chart, Document, Duration, Percent, Section, Signatures, Table
from opsdesk_shared.documents.pdf_export import pdf_bytes
from opsdesk_shared.documents.xlsx_export import xlsx_bytes
from reporting.config import ReportingSettings
from reporting.periods import Period
from reporting.reports.summary import DayCount, PeriodOut, daily_series

FONT = ReportingSettings.model_fields["report_font_path"].default
WEEK = Period("2032-W28", date(2032, 7, 5), date(2032, 7, 11))
OUT = os.environ.get("OPSDESK_DOCUMENT_DIR")  # set it to keep the PDFs for a reader to look at


def keep(name: str, content: bytes) -> None:
    if OUT:
        (Path(OUT) / name).write_bytes(content)


def document(*sections: Section) -> Document:
    return Document(
        title="维修费用报告 Repair costs",
        period=WEEK,
        generated_at=datetime(2032, 7, 12, 0, 0, tzinfo=UTC),
        filename="layout",
        sections=list(sections),
    )


COSTS = Table(
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
            f"2032070500{n:02d}",
            "北京市公安局朝阳分局望京派出所户籍窗口",
            "陈静",
            "2032-07-05 10:32",
            "现场 on site",
            "更换证卡打印机打印头并校准色带，测试打印身份证样卡三张，恢复正常使用",
            Decimal("12800.00") + n,
            "运维服务商 vendor",
        ]
        for n in range(12)
    ],
)
ATTENDANCE = Table(
    "人员出勤 Staff attendance",
    [
        "姓名 Name",
        "排班 Rostered",
        "排班小时 Rostered hours",
        "到岗班次 Shifts attended",
        "缺勤 Missed",
        "迟到 Late",
        "签到 Clock-ins",
        "出勤天数 Days present",
        "在岗小时 Hours on duty",
        "未签退 Not clocked out",
    ],
    [["王工程师", 7, 56.0, 5, 2, 1, 5, 5, 41.25, 0]],
)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_pdf_tables_never_split_a_number_a_header_word_or_a_bilingual_heading() -> None:
    pdf = pdf_bytes(document(COSTS, ATTENDANCE), FONT)
    keep("opsdesk_layout.pdf", pdf)
    text = pdf_text(pdf)
    lines = [line.strip() for line in text.splitlines()]
    for whole in ("12,800.00", "12,811.00", "Amount (CNY)", "Engineer", "Borne by", "Rostered hours", "Clock-ins"):
        assert whole in text, whole
    # A bilingual heading is two whole lines, Chinese above English, neither split.
    for zh, en in (("姓名", "Name"), ("金额", "Amount (CNY)"), ("出勤天数", "Days present"), ("工单号", "Ticket")):
        assert zh in lines and en in lines, (zh, en)
    assert "2032070500" + "11" in text  # the ticket number whole
    assert not re.search(r"\d,\d{1,2}\n", text), "a number split over two lines"


def test_a_long_word_of_free_text_does_not_squeeze_the_numbers() -> None:
    url = "http://printer-vendor.example.com/firmware/downloads/card-printer-model-x-2032-07-05-build-12345.bin"
    table = Table(COSTS.title, COSTS.columns, [[*row[:5], url, *row[6:]] for row in COSTS.rows])
    text = pdf_text(pdf_bytes(document(table), FONT))
    assert "12,800.00" in text and "Amount (CNY)" in text


@pytest.mark.parametrize("columns", [4, 9, 14])
def test_pdf_tables_of_any_width_keep_numbers_whole(columns: int) -> None:
    table = Table(
        "宽表 Wide",
        [f"列{n} Column number {n}" for n in range(columns)],
        [[Decimal("1234567.89")] * columns, [Percent(99.5)] * columns, [Duration(3 * 3600 + 300)] * columns],
    )
    text = pdf_text(pdf_bytes(document(table), FONT))
    assert text.count("1,234,567.89") == columns
    assert text.count("99.50%") == columns
    assert text.count("3 h 05 min") == columns


def test_a_period_with_one_active_day_charts_every_day_and_that_days_tickets() -> None:
    period = PeriodOut(label="2032-W28", first_day=date(2032, 7, 5), last_day=date(2032, 7, 11))
    labels, values = daily_series(period, [DayCount(day=date(2032, 7, 7), tickets=3)])
    assert labels == [f"2032-07-{d:02d}" for d in range(5, 12)]
    assert values == [0, 0, 3, 0, 0, 0, 0]
    one_day = PeriodOut(label="2032-07-07", first_day=date(2032, 7, 7), last_day=date(2032, 7, 7))
    assert daily_series(one_day, [DayCount(day=date(2032, 7, 7), tickets=3)]) == (["2032-07-07"], [3.0])


def test_a_line_chart_of_one_point_draws_the_point() -> None:
    """A line of one point drew nothing: the page's drawing operators must hold a marker for it."""
    empty = pdf_bytes(document(Chart("每日工单量 Tickets per day", "line", ["2032-07-07"], [0.0])), FONT)
    one = pdf_bytes(document(Chart("每日工单量 Tickets per day", "line", ["2032-07-07"], [3.0])), FONT)
    keep("opsdesk_one_day_chart.pdf", one)

    def fills(content: bytes) -> int:
        page = pypdf.PdfReader(io.BytesIO(content)).pages[0]
        contents = page.get_contents()
        assert contents is not None
        return len(re.findall(rb"\bf\b|\bB\b|\bf\*", contents.get_data()))

    assert fills(one) >= 1 and fills(empty) >= 1  # the marker is drawn whatever the value


def test_xlsx_stores_durations_percentages_and_amounts_as_numbers_with_formats() -> None:
    table = Table(
        "服务总览 Overview",
        ["指标 Figure", "数值 Value"],
        [
            ["平均到场时长 Mean time to arrive", Duration(5400)],
            ["一次解决率 First-call resolution", Percent(87.5)],
            ["金额 Amount", Decimal("12800.50")],
            ["工单总数 Tickets", 12],
            ['=HYPERLINK("http://x","y")', "-3"],
            ["重开率 Reopen rate", "—"],
        ],
    )
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(document(table))))
    sheet = book["服务总览"]
    cells = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2) for r in range(5, 11)}
    duration = cells["平均到场时长 Mean time to arrive"]
    # Stored as the number Excel counts time in (days); openpyxl reads a time format back as a timedelta.
    assert duration.value == timedelta(hours=1, minutes=30) and duration.number_format == "[h]:mm"
    percent = cells["一次解决率 First-call resolution"]
    assert percent.data_type == "n" and percent.value == pytest.approx(0.875) and percent.number_format == "0.00%"
    amount = cells["金额 Amount"]
    assert amount.value == pytest.approx(12800.5) and amount.number_format == "#,##0.00"
    assert cells["工单总数 Tickets"].value == 12
    # Neutralising still applies to text only: a formula typed as text stays text.
    assert '\'=HYPERLINK("http://x","y")' in cells and cells['\'=HYPERLINK("http://x","y")'].value == "'-3"
    assert cells["重开率 Reopen rate"].value == "—"


def test_signature_block_in_every_format() -> None:
    block = Signatures(
        "签署 Signatures",
        [("甲方（公安局）Party A", "某市公安局科技信息化处"), ("乙方（运维服务商）Party B", "某某科技有限公司")],
    )
    pdf = pdf_bytes(document(COSTS, block), FONT)
    keep("opsdesk_signatures.pdf", pdf)
    text = pdf_text(pdf)
    for expected in ("甲方（公安局）", "乙方（运维服务商）", "某某科技有限公司", "签字", "日期", "盖章"):
        assert expected in text, expected
    rows = [r for r in csv_rows(document(block))]
    assert ["甲方（公安局）Party A", "乙方（运维服务商）Party B"] in rows
    cover = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(document(block))))["封面 Cover"]
    column = [c.value for c in cover["A"] if c.value]
    assert "甲方（公安局）Party A：某市公安局科技信息化处" in column and any("盖章" in v for v in column)
