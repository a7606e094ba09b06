"""Text cells made safe for spreadsheets (CSV and XLSX exports).

Excel, LibreOffice and Google Sheets treat a cell whose text starts with `=`, `+`, `-` or `@` as a
formula, and a leading tab or carriage return is stripped before that check; a ticket title such as
`=HYPERLINK("http://x","y")` would otherwise reach a supervisor's desktop as a live formula (OWASP
"CSV injection"). Such text gets a leading apostrophe, which every spreadsheet shows as plain text and
which survives a later re-export. Only text is touched: numbers stay numbers, so a negative amount is
still a number and sums still work."""

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell value as a spreadsheet may show it: text that would start a formula gets a leading `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
