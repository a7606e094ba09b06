"""UI language: Simplified Chinese is the source text of every template; English comes from
`i18n/en.po` (read with Babel at start-up, no compile step). An untranslated string shows in Chinese, and
the test suite fails on any string the templates use that has no English yet."""

from collections.abc import Callable
from pathlib import Path

from babel.messages.pofile import read_po

LANGUAGES = {"zh-CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh-CN"
CATALOG_DIR = Path(__file__).parent


def _load(lang: str) -> dict[str, str]:
    path = CATALOG_DIR / f"{lang}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string and isinstance(m.id, str)}


_CATALOGS = {lang: _load(lang) for lang in LANGUAGES if lang != DEFAULT_LANGUAGE}


def N_(text: str) -> str:  # noqa: N802 — the conventional name for "translate later"
    """Marks a string for the catalogue where it is defined; it is translated where it is shown."""
    return text


def gettext_for(lang: str) -> Callable[[str], str]:
    table = _CATALOGS.get(lang, {})
    return lambda text: table.get(text, text)


def pick_language(cookie: str | None) -> str:
    """Chinese unless the user chose otherwise (SPEC §1): the desks are the bureau's, whatever the browser."""
    return str(cookie) if cookie in LANGUAGES else DEFAULT_LANGUAGE
