"""A printable report: a title, its period, when it was generated, and sections in order. Every
export format renders the same document, so the files agree with each other."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from reporting.periods import Period, local_text


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]


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


Section = Table | Chart | Text


@dataclass
class Document:
    title: str
    period: Period
    generated_at: datetime
    filename: str  # without extension, ASCII
    sections: list[Section] = field(default_factory=list)

    @property
    def heading_lines(self) -> list[str]:
        return [
            f"统计期间 Period: {self.period.first_day} – {self.period.last_day} ({self.period.label})",
            f"生成时间 Generated: {local_text(self.generated_at)} (Asia/Shanghai)",
        ]
