"""Every Chinese source string the UI can show: what the templates and pages pass to `_`, the labels of
the API's codes and the navigation titles. The tests compare it with `en.po`, so no string ships
untranslated; `python -m gateway.web.i18n.messages` prints the ones missing."""

from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from gateway.web.labels import LABELS, SMS_AUDIENCES, SMS_RULES
from gateway.web.navigation import PAGES

WEB = Path(__file__).resolve().parent.parent
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]


def source_strings() -> set[str]:
    found: set[str] = set(LABELS.values()) | {page.title for page in PAGES}
    found |= {text for pair in SMS_RULES.values() for text in pair} | set(SMS_AUDIENCES.values())
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(WEB), method_map=METHODS, keywords={"_": None, "N_": None}
    ):
        if isinstance(message, str):
            found.add(message)
    return found


def translated(lang: str = "en") -> dict[str, str]:
    with (Path(__file__).parent / f"{lang}.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id and m.string}


def missing(lang: str = "en") -> Iterator[str]:
    have = translated(lang)
    yield from sorted(s for s in source_strings() if s not in have)


if __name__ == "__main__":
    for text in missing():
        print(text)
