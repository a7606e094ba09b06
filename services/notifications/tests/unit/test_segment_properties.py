"""Property tests for SMS segment counting (SPEC §6): GSM-7 160 single / 153 per part, UCS-2 70 / 67."""

from math import ceil

from hypothesis import given
from hypothesis import strategies as st

from notifications.messages.segments import GSM7_BASIC, count_segments

gsm_basic = st.text(alphabet=sorted(GSM7_BASIC), max_size=700)
chinese = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=400)


@given(gsm_basic)
def test_plain_gsm_text_costs_160_then_153_per_part(text: str) -> None:
    n = len(text)
    assert count_segments(text) == (1 if n <= 160 else ceil(n / 153))


@given(chinese)
def test_chinese_text_costs_70_then_67_per_part(text: str) -> None:
    n = len(text)
    assert count_segments(text) == (1 if n <= 70 else ceil(n / 67))


@given(st.text(max_size=300), st.text(min_size=1, max_size=5))
def test_longer_text_never_costs_fewer_parts_within_one_encoding(text: str, more: str) -> None:
    assert count_segments(text) >= 1
    if all(c in GSM7_BASIC for c in text + more) or not all(c in GSM7_BASIC for c in text):
        assert count_segments(text + more) >= count_segments(text)
