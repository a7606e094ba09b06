"""Where labels land on a sheet, and how text is fitted to a label: the arithmetic, table by table."""

import pytest

from assets.ledger.label_layout import A4_3x8, Sheet, Slot, clip, wrap


def width(text: str) -> float:
    return float(len(text))  # one unit per character: easy to reason about


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, Slot(page=0, x=7.25, y=297 - 12.9 - 33.9)),  # top left
        (2, Slot(page=0, x=7.25 + 2 * 66.0, y=297 - 12.9 - 33.9)),  # top right
        (3, Slot(page=0, x=7.25, y=297 - 12.9 - 2 * 33.9)),  # second row
        (23, Slot(page=0, x=139.25, y=12.9)),  # bottom right: the bottom margin equals the top one
        (24, Slot(page=1, x=7.25, y=297 - 12.9 - 33.9)),  # the next page starts at the top left again
    ],
)
def test_a4_sheet_fills_row_by_row_from_the_top_left(index: int, expected: Slot) -> None:
    slot = A4_3x8.slot(index)
    assert slot.page == expected.page
    assert slot.x == pytest.approx(expected.x, abs=0.001)
    assert slot.y == pytest.approx(expected.y, abs=0.001)


@pytest.mark.parametrize(("labels", "pages"), [(0, 1), (1, 1), (24, 1), (25, 2), (48, 2), (49, 3)])
def test_pages_needed(labels: int, pages: int) -> None:
    assert A4_3x8.pages(labels) == pages


def test_every_label_of_a_sheet_is_on_the_page_and_none_overlap() -> None:
    slots = [A4_3x8.slot(i) for i in range(A4_3x8.per_page)]
    for s in slots:
        assert 0 <= s.x and s.x + A4_3x8.label_width <= A4_3x8.page_width
        assert 0 <= s.y and s.y + A4_3x8.label_height <= A4_3x8.page_height
    for a in slots:
        for b in slots:
            if a is not b:
                apart_x = abs(a.x - b.x) >= A4_3x8.label_width
                apart_y = abs(a.y - b.y) >= A4_3x8.label_height - 1e-6
                assert apart_x or apart_y


def test_a_sheet_whose_labels_do_not_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        Sheet(page_width=210, page_height=297, columns=4, rows=8, label_width=63.5, label_height=33.9)
    with pytest.raises(ValueError, match="index"):
        A4_3x8.slot(-1)


@pytest.mark.parametrize(
    ("text", "room", "expected"),
    [
        ("JZZ-CY-0042", 20, "JZZ-CY-0042"),  # fits whole
        ("望京派出所一楼办证大厅", 6, "望京派出所…"),  # cut by character, the ellipsis counted in
        ("ab  cd", 4, "ab…"),  # no blank before the ellipsis
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ],
)
def test_clip(text: str, room: float, expected: str) -> None:
    assert clip(text, room, width) == expected


@pytest.mark.parametrize(
    ("text", "room", "lines", "expected"),
    [
        ("望京派出所", 10, 2, ["望京派出所"]),
        ("望京派出所 · 一楼办证大厅", 8, 2, ["望京派出所 ·", "一楼办证大厅"]),
        ("望京派出所一楼办证大厅A01机柜", 6, 2, ["望京派出所一", "楼办证大厅…"]),
        ("望京派出所一楼", 6, 1, ["望京派出所…"]),
        ("", 6, 2, []),
    ],
)
def test_wrap(text: str, room: float, lines: int, expected: list[str]) -> None:
    assert wrap(text, room, width, lines) == expected
