"""The spreadsheet reader's rules, without I/O: how cells become fields, and which faults are named where."""

from datetime import date, datetime

import pytest

from assets.ledger.spreadsheet import check_rows, read_table
from opsdesk_shared.contracts.vocabulary import AssetClass, AssetStatus, Criticality
from opsdesk_shared.errors import RuleViolation

HEADER = ["资产编号", "设备类别", "安全分区", "所属系统", "单位编码", "地点"]


@pytest.mark.parametrize(
    ("column", "cell", "field", "expected"),
    [
        ("设备类别", "server", "asset_class", AssetClass.SERVER),
        ("设备类别", " 机房空调 ", "asset_class", AssetClass.AIR_CONDITIONER),
        ("状态", "外出(已审批)", "status", AssetStatus.OFF_SITE),
        ("status", "Under_Repair", "status", AssetStatus.UNDER_REPAIR),
        ("重要程度", "关键", "criticality", Criticality.CRITICAL),
        ("启用日期", "2024/3/1", "commissioned_on", date(2024, 3, 1)),
        ("启用日期", "2024年3月1日", "commissioned_on", date(2024, 3, 1)),
        ("warranty_until", datetime(2027, 3, 1, 0, 0), "warranty_until", date(2027, 3, 1)),
        ("序列号", 20240042.0, "serial_number", "20240042"),  # Excel took it for a number
        ("机柜", "  ", "rack", None),
    ],
)
def test_a_cell_becomes_its_field(column: str, cell: object, field: str, expected: object) -> None:
    header = HEADER if column != "设备类别" else [h for h in HEADER if h != "设备类别"]
    base: dict[str, object] = dict(
        zip(HEADER, ["jzz-cy-0042", "制证机", "公安信息网", "居住证信息系统", "BJ-CY", "朝阳分局"], strict=True)
    )
    base[column] = cell
    columns = [*header, column] if column not in header else header
    rows, problems = check_rows([columns, [base[c] for c in columns]], max_rows=10)
    assert problems == []
    assert rows[0].values[field] == expected
    assert rows[0].values["tag"] == "JZZ-CY-0042"


@pytest.mark.parametrize(
    ("cells", "faults"),
    [
        ({"设备类别": "烤面包机"}, [(2, "asset_class")]),
        ({"状态": "丢了"}, [(2, "status")]),
        ({"启用日期": "去年"}, [(2, "commissioned_on")]),
        ({"安全分区": ""}, [(2, "security_zone")]),
        ({"备注": "a\x00b"}, [(2, "notes")]),
    ],
)
def test_a_bad_cell_is_named_by_row_and_field(cells: dict[str, object], faults: list[tuple[int, str]]) -> None:
    header = [h for h in HEADER if h not in cells] + list(cells)
    values = (
        dict(zip(HEADER, ["T-1", "制证机", "公安信息网", "居住证信息系统", "BJ-CY", "朝阳分局"], strict=True)) | cells
    )
    _, problems = check_rows([header, [values[h] for h in header]], max_rows=10)
    assert [(p.row, p.field) for p in problems] == faults


def test_blank_rows_are_skipped_and_a_repeated_tag_is_named_on_its_second_row() -> None:
    row = ["T-1", "制证机", "公安信息网", "居住证信息系统", "BJ-CY", "朝阳分局"]
    rows, problems = check_rows([HEADER, row, [None] * 6, ["", " "], [" t-1 ", *row[1:]]], max_rows=10)
    assert [r.row for r in rows] == [2, 5]
    assert [(p.row, p.field, p.message) for p in problems] == [(5, "tag", "T-1 is also on row 2")]


def test_unknown_and_missing_columns_are_named_on_the_header_row() -> None:
    _, problems = check_rows([["资产编号", "颜色"]], max_rows=10)
    assert (1, "颜色") in [(p.row, p.field) for p in problems]
    assert {p.field for p in problems if p.message == "required column missing"} == {
        "asset_class",
        "security_zone",
        "owning_system",
        "unit_code",
        "site",
    }


def test_too_many_rows_or_no_header_are_refused_as_the_file() -> None:
    row = ["T-1", "制证机", "公安信息网", "居住证信息系统", "BJ-CY", "朝阳分局"]
    with pytest.raises(RuleViolation) as too_many:
        check_rows([HEADER, row, row], max_rows=1)
    assert too_many.value.extensions["field"] == "file"
    with pytest.raises(RuleViolation):
        check_rows([], max_rows=1)


def test_an_unreadable_csv_or_workbook_is_refused_as_the_file() -> None:
    for content, name in ((b"PK\x03\x04 not really", "x.xlsx"), (b"\xff\xfe\x00", "x.csv"), (b"a,b", "x.ods")):
        with pytest.raises(RuleViolation) as refused:
            read_table(content, name)
        assert refused.value.extensions["field"] == "file", name
