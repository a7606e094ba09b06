"""Reading and writing the ledger as a spreadsheet (XLSX or CSV), the way the bureau keeps it in Excel.

Pure: bytes in, checked rows (or every row's faults) out, and rows in, XLSX bytes out. Whether a checked row
creates, changes or leaves an asset is the import's business (ledger/imports.py).
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from assets.ledger import labels
from opsdesk_shared.contracts.vocabulary import AssetClass, AssetStatus, Criticality
from opsdesk_shared.errors import RuleViolation

# (field, the bureau's column title). The import takes either; the export writes the titles.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("tag", "资产编号"),
    ("asset_class", "设备类别"),
    ("name", "设备名称"),
    ("security_zone", "安全分区"),
    ("owning_system", "所属系统"),
    ("unit_code", "单位编码"),
    ("unit_name", "单位名称"),
    ("site", "地点"),
    ("room", "机房"),
    ("rack", "机柜"),
    ("maker", "厂商"),
    ("model", "型号"),
    ("serial_number", "序列号"),
    ("commissioned_on", "启用日期"),
    ("warranty_until", "保修截止日期"),
    ("criticality", "重要程度"),
    ("status", "状态"),
    ("custodian", "责任人"),
    ("notes", "备注"),
)
# Read on import only: the approval a change to "off site" needs.
IMPORT_ONLY = (("approval_ref", "外出审批编号"),)
# Written for people, not read back: the unit is named by its code.
EXPORT_ONLY = frozenset({"unit_name"})
REQUIRED = ("tag", "asset_class", "security_zone", "owning_system", "unit_code", "site")
ENUMS = {"asset_class": AssetClass, "status": AssetStatus, "criticality": Criticality}
DATES = ("commissioned_on", "warranty_until")
_BY_HEADER = {h.strip().lower(): f for f, title in (*COLUMNS, *IMPORT_ONLY) for h in (f, title)}


@dataclass
class Problem:
    row: int
    field: str
    message: str


@dataclass
class SheetRow:
    row: int  # as the spreadsheet numbers it (the header is row 1)
    values: dict[str, Any] = field(default_factory=dict)


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a serial number Excel took for a number
    if isinstance(value, datetime):
        value = value.date()
    text = str(value).strip()
    return text or None


def _date(text: str) -> date | None:
    cleaned = text.replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    try:
        year, month, day = (int(p) for p in cleaned.split(" ")[0].split("-"))
        return date(year, month, day)
    except ValueError:
        return None


def read_table(content: bytes, filename: str) -> list[list[Any]]:
    """The first sheet of an XLSX file, or a CSV file (UTF-8, with or without BOM, or GB18030 as Excel in
    China saves it), as rows of cells."""
    if filename.lower().endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RuleViolation("the CSV file is neither UTF-8 nor GB18030 text", field="file")
        try:
            return [list(r) for r in csv.reader(io.StringIO(text))]
        except csv.Error as exc:  # a NUL byte, an unterminated quote at the end
            raise RuleViolation(f"the CSV file cannot be read: {exc}", field="file") from exc
    if not filename.lower().endswith(".xlsx"):
        raise RuleViolation("import an .xlsx or a .csv file", field="file")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise RuleViolation("the file is not a readable XLSX workbook", field="file") from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    except (KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile) as exc:  # a damaged sheet inside
        raise RuleViolation("the workbook's first sheet cannot be read", field="file") from exc
    finally:
        workbook.close()


def check_rows(table: list[list[Any]], *, max_rows: int) -> tuple[list[SheetRow], list[Problem]]:
    """The header mapped to fields and every data row's cells cleaned and typed; each fault found named by row
    and field. Blank rows are skipped. Unit codes and the ledger's rules are checked by the import."""
    if not table:
        raise RuleViolation("the file is empty: the first row must name the columns", field="file")
    header = [_cell_text(h) for h in table[0]]
    problems: list[Problem] = []
    fields: list[str | None] = []
    for index, title in enumerate(header, start=1):
        if title is None:
            fields.append(None)
            continue
        name = _BY_HEADER.get(title.lower())
        if name is None:
            problems.append(Problem(1, title, f"unknown column {title!r} (column {index})"))
        fields.append(name)
    missing = [f for f in REQUIRED if f not in fields]
    for name in missing:
        problems.append(Problem(1, name, "required column missing"))
    if problems:
        return [], problems
    rows: list[SheetRow] = []
    seen_tags: dict[str, int] = {}
    data = [(n, r) for n, r in enumerate(table[1:], start=2) if any(_cell_text(c) for c in r)]
    if len(data) > max_rows:
        raise RuleViolation(f"the file has {len(data)} rows; at most {max_rows} are imported at once", field="file")
    for number, cells in data:
        row = SheetRow(number)
        for name, cell in zip(fields, cells, strict=False):
            if name is None or name in EXPORT_ONLY:
                continue
            text = _cell_text(cell)
            if text is None:
                row.values[name] = None
            elif "\x00" in text:  # PostgreSQL cannot keep it, and no ledger means it
                problems.append(Problem(number, name, "contains a NUL character"))
            elif name in ENUMS:
                member = labels.parse(ENUMS[name], text)
                if member is None:
                    problems.append(Problem(number, name, f"unknown {name.replace('_', ' ')} {text!r}"))
                row.values[name] = member
            elif name in DATES:
                parsed = cell.date() if isinstance(cell, datetime) else cell if isinstance(cell, date) else _date(text)
                if parsed is None:
                    problems.append(Problem(number, name, f"not a date: {text!r} (write 2026-12-07)"))
                row.values[name] = parsed
            else:
                row.values[name] = text
        for name in REQUIRED:
            if row.values.get(name) is None and not any(p.row == number and p.field == name for p in problems):
                problems.append(Problem(number, name, "required"))
        tag = (row.values.get("tag") or "").upper()
        if tag:
            row.values["tag"] = tag
            if tag in seen_tags:
                problems.append(Problem(number, "tag", f"{tag} is also on row {seen_tags[tag]}"))
            else:
                seen_tags[tag] = number
        rows.append(row)
    return rows, problems


def write_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """The ledger as the bureau's workbook: one sheet, the column titles, one row per asset."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("设备台帐")
    sheet.append([title for _, title in COLUMNS])
    for row in rows:
        cells = []
        for name, _ in COLUMNS:
            value = row.get(name)
            cells.append(labels.label(value) if name in ENUMS else value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
