"""CSV: every section one after another (title row, header row, rows, blank line), streamed row by row.
UTF-8 with a byte-order mark, so Excel on a bureau desktop opens the Chinese text correctly. Every text
cell passes through `neutralise`: a ticket title is whatever a requester typed, and must not open as a
formula."""

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from opsdesk_shared.documents.document import Chart, Document, Duration, Percent, Signatures, Table, Text
from opsdesk_shared.spreadsheet_cells import neutralise


def _cell(value: Any) -> Any:
    # An amount is a number (a negative one too): formatted, never neutralised; so are durations and
    # percentages, whose text ("1 h 05 min", "12.50%") we write ourselves.
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, Duration | Percent):
        return str(value)
    return neutralise(value)


def csv_rows(document: Document) -> Iterator[list[Any]]:
    yield [document.title]
    for line in document.heading_lines:
        yield [line]
    for section in document.sections:
        yield []
        yield [section.title]
        if isinstance(section, Table):
            yield section.columns
            yield from section.rows
        elif isinstance(section, Chart):
            yield ["标签 Label", "数值 Value"]
            yield from ([label, value] for label, value in zip(section.labels, section.values, strict=True))
        elif isinstance(section, Text):
            yield [section.body]
        elif isinstance(section, Signatures):
            yield [role for role, _ in section.parties]
            yield [name for _, name in section.parties]
            for line in section.lines:
                yield [f"{line}：" for _ in section.parties]


def csv_chunks(document: Document) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for row in csv_rows(document):
        writer.writerow([_cell(v) for v in row])
        if buffer.tell() > 32_768:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
