"""Ticket titles and unit names that a spreadsheet would run as formulas reach the CSV and XLSX exports
as plain text, while ordinary text and numbers come out exactly as they went in."""

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pytest

from opsdesk_shared.contracts.dispatch import ClockSnapshot, SlaBreached, SlaStarted
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.gateway import UnitCreated
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.testing.workers import eventually, publish

from .support.harness import Reporting

DAY = date(2034, 3, 6)  # a day no other test's scenario uses
PERIOD = {"from": DAY.isoformat(), "to": DAY.isoformat()}
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\t=1", "\r=1"]
HARMLESS = ["打印机卡纸", "12345", "A=B 不是公式"]
UNIT_NAME = "=cmd|'/C calc'!A0"


def _ticket_events(n: int, title: str, unit_id: uuid.UUID) -> list[Event]:
    ticket_id = uuid.uuid4()
    created_at = datetime(DAY.year, DAY.month, DAY.day, 2, n, tzinfo=UTC)
    due = created_at + timedelta(hours=2)
    return [
        TicketCreated(
            ticket_id=ticket_id,
            number=f"20340306-{n:04d}",
            title=title,
            category="fault",
            priority="P2",
            status="new",
            unit_id=unit_id,
            channel="web",
            requester_name="张*",
            requester_phone="+8613800138000",
            created_at=created_at,
        ),
        SlaStarted(
            ticket_id=ticket_id,
            policy_id=uuid.uuid4(),
            policy_name="fault",
            clocks=[ClockSnapshot(metric="arrival", state="running", started_at=created_at, due_at=due)],
        ),
        SlaBreached(
            ticket_id=ticket_id, clock_id=uuid.uuid4(), metric="arrival", due_at=due, fired_at=due, breached_at=due
        ),
    ]


@pytest.fixture(scope="module")
async def hostile_tickets(reporting: Reporting) -> list[str]:
    unit_id = uuid.uuid4()
    titles = HOSTILE + HARMLESS
    events: list[Event] = [
        UnitCreated(
            unit_id=unit_id, code=f"u-{unit_id.hex[:8]}", name=UNIT_NAME, kind="station", parent_id=None, path=[unit_id]
        )
    ]
    for n, title in enumerate(titles, start=1):
        events += _ticket_events(n, title, unit_id)
    await publish(reporting.env.amqp_url, *events)

    async def all_in() -> bool:
        body = (await reporting.get("/api/reports/sla", **PERIOD)).json()
        return {b["title"] for b in body["breaches"]} == set(titles) and all(
            b["unit_name"] == UNIT_NAME for b in body["breaches"]
        )

    await eventually(all_in, timeout=30)
    return titles


async def _download(reporting: Reporting, path: str, fmt: str) -> bytes:
    resp = await reporting.get(path, format=fmt, **PERIOD)
    assert resp.status_code == 200, resp.text
    return resp.content


def _neutralised(text: str) -> str:
    return "'" + text


async def test_csv_export_turns_formulas_into_text(reporting: Reporting, hostile_tickets: list[str]) -> None:
    text = (await _download(reporting, "/api/reports/sla", "csv")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))  # a CR inside a quoted cell is the cell's own
    header = next(i for i, r in enumerate(rows) if r and r[0] == "工单号 Ticket")
    by_number = {r[0]: r for r in rows[header + 1 :] if r}
    for n, title in enumerate(hostile_tickets, start=1):
        row = by_number[f"20340306-{n:04d}"]
        assert row[1] == (_neutralised(title) if title in HOSTILE else title), title
        assert row[2] == _neutralised(UNIT_NAME)
    formula_cells = [c for r in rows for c in r if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert formula_cells == []


async def test_xlsx_export_stores_formulas_as_text_and_numbers_as_numbers(
    reporting: Reporting, hostile_tickets: list[str]
) -> None:
    book = openpyxl.load_workbook(io.BytesIO(await _download(reporting, "/api/reports/sla", "xlsx")))
    sheet = book.worksheets[1]
    cells: dict[Any, list[Any]] = {row[0].value: row for row in sheet.iter_rows(min_row=5)}
    for n, title in enumerate(hostile_tickets, start=1):
        title_cell, unit_cell = cells[f"20340306-{n:04d}"][1:3]
        assert title_cell.data_type == "s" and unit_cell.data_type == "s"
        expected = _neutralised(title) if title in HOSTILE else title
        assert title_cell.value == expected.replace("\r", "\n"), title  # XML reads a bare CR back as LF
        assert unit_cell.value == _neutralised(UNIT_NAME)
    assert not [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]

    summary = openpyxl.load_workbook(io.BytesIO(await _download(reporting, "/api/reports/summary", "xlsx")))
    by_unit = summary["按单位"]
    counts = {row[0].value: row[1].value for row in by_unit.iter_rows(min_row=5)}
    assert counts == {_neutralised(UNIT_NAME): len(hostile_tickets)}  # the count is still a number
    assert not [c for ws in summary.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
