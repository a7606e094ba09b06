"""A printable report: a title, its period, when it was generated, and sections in order. Every
export format renders the same document, so the files agree with each other. Reporting's reports and
assets' spare-parts stock report are all documents rendered by this package."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from opsdesk_shared.documents.periods import Period, local_text


@dataclass(frozen=True)
class Duration:
    """A length of time in a table cell: text in the PDF and CSV ("1 h 05 min"), a number in the XLSX."""

    seconds: float

    def __str__(self) -> str:
        minutes = round(self.seconds / 60)
        return f"{minutes // 60} h {minutes % 60:02d} min"


@dataclass(frozen=True)
class Percent:
    """A percentage (0–100) in a table cell: "12.50%" as text, 0.125 with a percent format in the XLSX."""

    value: float

    def __str__(self) -> str:
        return f"{self.value:.2f}%"


NUMERIC = (int, float, Decimal, Duration, Percent)


def cell_text(value: Any) -> str:
    """How a cell reads in the text formats (PDF, CSV)."""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    # Rows to draw the eye to (indices into `rows`, e.g. stock below its minimum): shaded in the PDF and
    # the XLSX. The CSV has no shading: say it in a column too.
    emphasis: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Chart:
    title: str
    kind: Literal["bar", "line", "pie"]
    labels: list[str]
    values: list[float]


@dataclass(frozen=True)
class Text:
    title: str
    body: str


@dataclass(frozen=True)
class Signatures:
    """The signature block closing a document the parties sign: one column per party (its role and its
    name), each with lines for signature, date and seal."""

    title: str
    parties: list[tuple[str, str]]  # (role, e.g. "甲方（公安局）Party A", name)
    lines: tuple[str, ...] = ("签字 Signature", "日期 Date", "盖章 Seal")


Section = Table | Chart | Text | Signatures


@dataclass
class Document:
    title: str
    period: Period
    generated_at: datetime
    filename: str  # without extension, ASCII
    sections: list[Section] = field(default_factory=list)

    @property
    def heading_lines(self) -> list[str]:
        days = f"{self.period.first_day} – {self.period.last_day}"
        return [
            f"统计期间 Period: {days} ({self.period.label})" if self.period.label else f"统计期间 Period: {days}",
            f"生成时间 Generated: {local_text(self.generated_at)} (Asia/Shanghai)",
        ]
