"""Property tests for phone parsing and masking: any input gives an E.164 number or a clear rule
violation, never another error; a masked text never carries a whole mainland mobile number."""

import re

from hypothesis import given
from hypothesis import strategies as st

from opsdesk_shared.errors import RuleViolation
from opsdesk_shared.phones import mask_phone, normalise_phone

mobiles = st.from_regex(r"\A1[3-9][0-9]{9}\Z", fullmatch=True)
# Prefixes the numbering plan has allocated (libphonenumber rejects e.g. 140…, which masking still covers).
allocated_mobiles = st.from_regex(r"\A(13[0-9]|15[0-35-9]|18[0-9])[0-9]{8}\Z", fullmatch=True)
WHOLE_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@given(allocated_mobiles, st.sampled_from(["", "+86", "86", "+86 ", "0086"]))
def test_a_mainland_mobile_in_any_usual_form_becomes_one_e164_number(number: str, prefix: str) -> None:
    raw = f"{prefix}{number}"
    if prefix == "86":  # "86138…" nationally is not a mobile number; with + or 00 it is
        raw = f"+{raw}"
    normalised = normalise_phone(raw)
    assert normalised == f"+86{number}"
    assert normalise_phone(normalised) == normalised


@given(st.text(max_size=40))
def test_anything_else_is_a_number_or_a_rule_violation_naming_the_field(raw: str) -> None:
    try:
        normalised = normalise_phone(raw, field="requester_phone")
    except RuleViolation as exc:
        assert exc.extensions["field"] == "requester_phone"
    else:
        assert re.fullmatch(r"\+[1-9]\d{6,14}", normalised)


@given(st.lists(st.one_of(mobiles, mobiles.map(lambda m: f"+86{m}"), st.text(max_size=8)), max_size=6))
def test_a_masked_text_keeps_no_whole_mobile_number(parts: list[str]) -> None:
    text = " ".join(parts)
    masked = mask_phone(text)
    assert not WHOLE_MOBILE.search(masked)
    assert mask_phone(masked) == masked
