"""The ticket page's reclassification form shows every field; only what was changed goes to the API (which
refuses a request that changes nothing), an emptied kind of work or asset clears it, and the priority
carries its reason."""

import pytest

from gateway.web.pages.ticket_staff import changed_fields

TICKET = {
    "unit_id": "u-vendor",
    "category": "fault",
    "subcategory": None,
    "priority": "P3",
    "title": "制证机卡纸",
    "asset_tag": "ZZJ-001",
}
SAME = {"unit_id": "u-vendor", "category": "fault", "subcategory": "", "priority": "P3", "title": "制证机卡纸"}


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ({**SAME, "asset_tag": "ZZJ-001"}, {}),
        ({**SAME, "asset_tag": "ZZJ-001", "unit_id": "u-wj"}, {"unit_id": "u-wj"}),
        ({**SAME, "asset_tag": ""}, {"asset_tag": None}),
        ({**SAME, "asset_tag": "ZZJ-001", "subcategory": "network"}, {"subcategory": "network"}),
        ({**SAME, "asset_tag": "ZZJ-001", "title": ""}, {}),  # a title is never emptied: left as it is
        (
            {**SAME, "asset_tag": "ZZJ-001", "priority": "P1", "priority_reason": " 全所停办 "},
            {"priority": "P1", "priority_reason": "全所停办"},
        ),
        ({**SAME, "asset_tag": "ZZJ-001", "priority": "P1"}, {"priority": "P1", "priority_reason": None}),
        ({**SAME, "asset_tag": "ZZJ-001", "priority_reason": "无变化"}, {}),
    ],
)
def test_only_what_changed_is_sent(typed: dict[str, str], sent: dict[str, object]) -> None:
    assert changed_fields(TICKET, typed) == sent
