"""The reports name every value of the vocabulary in Chinese: a new status, category or channel without
its name fails here instead of showing a bare code in a document the bureau signs."""

import pytest

from opsdesk_shared.contracts.vocabulary import AssetClass, Category, Channel, TicketStatus
from reporting import labels

TABLES = [
    (TicketStatus, labels.STATUS),
    (Category, labels.CATEGORY),
    (Channel, labels.CHANNEL),
    (AssetClass, labels.ASSET_CLASS),
]


@pytest.mark.parametrize(("value", "table"), [(member, table) for enum, table in TABLES for member in enum])
def test_each_value_has_a_chinese_name_in_reports(value: str, table: dict[str, str]) -> None:
    assert table.get(value), f"{value!r} has no Chinese name in reporting/labels.py"
