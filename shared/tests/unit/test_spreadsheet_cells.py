"""Text that a spreadsheet would run as a formula is neutralised; everything else passes unchanged."""

from decimal import Decimal

import pytest

from opsdesk_shared.spreadsheet_cells import neutralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=", "'="),
        # Ordinary text, including text with a trigger character further in, is left alone.
        ("打印机故障", "打印机故障"),
        ("A=B", "A=B"),
        ("20261207-0001", "20261207-0001"),
        ("1 h 05 min", "1 h 05 min"),
        ("", ""),
        # Numbers stay numbers, negative ones too; so do other non-text values.
        (42, 42),
        (-2, -2),
        (-1.5, -1.5),
        (Decimal("-12.50"), Decimal("-12.50")),
        (None, None),
        (True, True),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    result = neutralise(value)
    assert result == expected and type(result) is type(expected)
