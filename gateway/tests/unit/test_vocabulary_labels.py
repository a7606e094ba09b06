"""Every value of the domain's vocabulary (opsdesk_shared/contracts/vocabulary.py) has a name in both of the
UI's languages: a value added to an enum without its labels fails here, not on a clerk's screen."""

import pytest

from gateway.web.i18n import gettext_for
from gateway.web.labels import LABELS
from opsdesk_shared.contracts.vocabulary import VOCABULARY, Priority

# Priorities are shown as their codes in both languages (P1–P4 are the contract's own words).
VALUES = [(enum.__name__, member.value) for enum in VOCABULARY if enum is not Priority for member in enum]


@pytest.mark.parametrize(("vocabulary", "value"), VALUES)
def test_each_value_has_a_chinese_and_an_english_label(vocabulary: str, value: str) -> None:
    chinese = LABELS.get(value)
    assert chinese, f"{vocabulary}.{value} has no Chinese label in gateway/web/labels.py"
    english = gettext_for("en")(chinese)
    assert english != chinese, f"{vocabulary}.{value} ({chinese}) has no English translation in i18n/en.po"
