"""Phone parsing and masking: the rules personal-data handling depends on."""

import pytest

from opsdesk_shared.errors import RuleViolation
from opsdesk_shared.phones import display_phone, mask_phone, normalise_phone


@pytest.mark.parametrize("raw", ["13800138000", "138 0013 8000", "+86 138-0013-8000", "008613800138000"])
def test_mainland_mobiles_normalise_to_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["12345", "abc", "", "1380013800012345"])
def test_invalid_numbers_are_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(RuleViolation) as err:
        normalise_phone(raw, field="requester_phone")
    assert err.value.extensions["field"] == "requester_phone"


def test_masking_keeps_first_three_and_last_four_anywhere_in_text() -> None:
    assert mask_phone("+8613800138000") == "+86138****8000"
    assert mask_phone("call 13800138000 now") == "call 138****8000 now"
    other = mask_phone("+14155550123")
    assert other.startswith("+1") and other.endswith("0123") and "4155550" not in other
    assert mask_phone("ticket 20261125-0042") == "ticket 20261125-0042"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+8613800010005", "138 0001 0005"),  # a mobile as stored (E.164)
        ("13800010005", "138 0001 0005"),
        ("+86138****0005", "138 **** 0005"),  # masked for a supervisor
        ("138****0005", "138 **** 0005"),
        ("+861065551234", "010 6555 1234"),  # a Beijing landline
        ("+14155550100", "+1 415-555-0100"),  # foreign: international format
        ("not a number", "not a number"),  # formatting never fails
        ("", ""),
        (None, ""),
    ],
)
def test_phones_are_shown_as_people_dial_them(stored: str | None, shown: str) -> None:
    assert display_phone(stored) == shown
