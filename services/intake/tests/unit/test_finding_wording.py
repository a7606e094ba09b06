"""How an inspection finding reads as a ticket: the reading with its normal range, the kind of work its
class of equipment needs, and the priority its criticality gives."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from intake.findings import wording
from opsdesk_shared.contracts.assets import InspectionFindingRaised

pytestmark = pytest.mark.unit


def finding(**fields: Any) -> InspectionFindingRaised:
    return InspectionFindingRaised.model_validate(
        {
            "finding_id": uuid.uuid4(),
            "round_id": uuid.uuid4(),
            "asset_id": uuid.uuid4(),
            "tag": "JF-KT-001",
            "asset_class": "air_conditioner",
            "unit_id": uuid.uuid4(),
            "site": "市局",
            "room": "一号机房",
            "item_key": "room_temperature",
            "item_label": "机房温度",
            "kind": "reading",
            "reading": 31.5,
            "measure_unit": "°C",
            "normal_low": 18,
            "normal_high": 27,
            "inspector_id": uuid.uuid4(),
            "inspector_name": "张工",
            "raised_at": datetime.now(UTC),
            **fields,
        }
    )


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({}, "31.5 °C（正常 18–27 °C）"),
        ({"reading": 92.0, "measure_unit": "%", "normal_low": None, "normal_high": 80}, "92 %（正常 ≤ 80 %）"),
        ({"reading": 5, "measure_unit": None, "normal_low": 10, "normal_high": None}, "5（正常 ≥ 10）"),
        ({"reading": 7, "measure_unit": "V", "normal_low": None, "normal_high": None}, "7 V"),
        ({"kind": "check", "reading": False, "measure_unit": None}, "否（正常为“是”）"),
    ],
)
def test_the_reading_says_what_was_found_against_its_normal_range(fields: dict[str, Any], text: str) -> None:
    assert wording.reading_text(finding(**fields)) == text


@pytest.mark.parametrize(
    ("asset_class", "work"),
    [("switch", "network"), ("firewall", "network"), ("application_system", "software"), ("ups", "hardware"),
     ("server", "hardware"), ("something_new", "hardware")],
)  # fmt: skip
def test_the_kind_of_work_follows_the_class_of_equipment(asset_class: str, work: str) -> None:
    assert wording.kind_of_work(asset_class) == work


@pytest.mark.parametrize(("criticality", "priority"), [("critical", "P2"), ("important", "P3"), ("normal", "P3"),
                                                       (None, "P3")])  # fmt: skip
def test_a_critical_assets_finding_goes_ahead_in_the_queue(criticality: str | None, priority: str) -> None:
    assert wording.priority(criticality) == priority


def test_title_and_description_name_the_asset_the_place_and_the_note() -> None:
    found = finding(note="出风口不冷")
    assert wording.title(found) == "巡检异常：JF-KT-001 机房温度"
    assert wording.description(found).splitlines() == [
        "日常巡检发现异常（张工）。",
        "设备：JF-KT-001（市局 一号机房）",
        "检查项：机房温度，结果：31.5 °C（正常 18–27 °C）",
        "巡检备注：出风口不冷",
    ]
