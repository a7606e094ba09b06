"""What the phone view's scan or typed entry opens: the tag read out of a label's address or typed by hand,
and never another host (only the path of a scanned address is read)."""

import pytest

from gateway.web.pages.asset_page import tag_from


@pytest.mark.parametrize(
    ("entry", "tag"),
    [
        ("JZZ-CY-0042", "JZZ-CY-0042"),
        ("  jzz-cy-0042 ", "JZZ-CY-0042"),  # a phone keyboard's lower case and stray blanks
        ("http://127.0.0.1:8000/ui/assets/JZZ-CY-0042", "JZZ-CY-0042"),  # a label's QR code
        ("https://opsdesk.example/ui/assets/ZZJ-WJ-001/label", "ZZJ-WJ-001"),
        ("https://evil.example/ui/assets/ZZJ-WJ-001?next=https://evil.example", "ZZJ-WJ-001"),
        ("https://opsdesk.example/ui/assets/%E5%88%B6-01", "制-01"),
        ("/ui/assets/dkq-lg1-003", "DKQ-LG1-003"),
        ("jzz/cy/0042", "JZZ/CY/0042"),  # tags may hold slashes; a label's address encodes them
        ("http://127.0.0.1:8000/ui/assets/JZZ%2FCY%2F0042", "JZZ/CY/0042"),
        ("http://127.0.0.1:8000/ui/assets/JZZ%2FCY%2F0042/label", "JZZ/CY/0042"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_tag_from_a_scan_or_a_typed_entry(entry: str, tag: str) -> None:
    assert tag_from(entry) == tag
