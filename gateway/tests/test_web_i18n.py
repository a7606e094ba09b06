"""The English UI is complete: every Chinese string the templates and pages can show has a translation."""

from gateway.web.i18n import gettext_for
from gateway.web.i18n.messages import missing, source_strings


def test_every_string_the_ui_shows_has_an_english_translation() -> None:
    assert list(missing("en")) == []


def test_the_catalogue_is_what_the_english_ui_uses() -> None:
    english = gettext_for("en")
    assert len(source_strings()) > 200
    assert english("监管看板") == "Supervision"
    assert gettext_for("zh-CN")("监管看板") == "监管看板"
