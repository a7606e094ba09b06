"""Where labels go on a sheet: pure arithmetic in millimetres, PDF coordinates (origin at the page's lower
left). The A4 sheet is the common 3 × 8 self-adhesive one (63.5 × 33.9 mm, 2.5 mm between columns, the grid
centred on the page), so a stationer's sheet lines up; another sheet is a `Sheet` of other figures."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    page: int  # 0-based
    x: float  # the label's lower-left corner, mm from the page's left edge
    y: float  # mm from the page's bottom edge


@dataclass(frozen=True)
class Sheet:
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    gap_x: float = 0.0
    gap_y: float = 0.0

    def __post_init__(self) -> None:
        if self.columns < 1 or self.rows < 1:
            raise ValueError("a sheet has at least one column and one row")
        if self.left_margin < 0 or self.top_margin < 0:
            raise ValueError("the labels do not fit on the page")

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def left_margin(self) -> float:
        used = self.columns * self.label_width + (self.columns - 1) * self.gap_x
        return (self.page_width - used) / 2

    @property
    def top_margin(self) -> float:
        used = self.rows * self.label_height + (self.rows - 1) * self.gap_y
        return (self.page_height - used) / 2

    def pages(self, labels: int) -> int:
        return max(1, -(-labels // self.per_page))

    def slot(self, index: int) -> Slot:
        """The `index`-th label (0-based), filled row by row from the top left, page after page."""
        if index < 0:
            raise ValueError("label index is negative")
        page, within = divmod(index, self.per_page)
        row, column = divmod(within, self.columns)
        x = self.left_margin + column * (self.label_width + self.gap_x)
        top = self.page_height - self.top_margin - row * (self.label_height + self.gap_y)
        return Slot(page=page, x=round(x, 3), y=round(top - self.label_height, 3))


A4_3x8 = Sheet(page_width=210, page_height=297, columns=3, rows=8, label_width=63.5, label_height=33.9, gap_x=2.5)


def clip(text: str, width: float, measure: Callable[[str], float], ellipsis: str = "…") -> str:
    """`text` as it fits in `width` (measured by `measure`): whole if it fits, else cut with an ellipsis.
    Chinese has no spaces to break at, so it is cut by character."""
    if measure(text) <= width:
        return text
    for end in range(len(text) - 1, 0, -1):
        shortened = text[:end].rstrip() + ellipsis
        if measure(shortened) <= width:
            return shortened
    return ellipsis if measure(ellipsis) <= width else ""


def wrap(text: str, width: float, measure: Callable[[str], float], lines: int) -> list[str]:
    """`text` over at most `lines` lines of `width`, broken between characters (Chinese has no spaces), the
    last line cut with an ellipsis if it still does not fit."""
    result: list[str] = []
    rest = text.strip()
    while rest and len(result) < lines - 1:
        end = len(rest)
        while end > 1 and measure(rest[:end]) > width:
            end -= 1
        if end == len(rest):
            break
        result.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    if rest:
        result.append(clip(rest, width, measure))
    return result
