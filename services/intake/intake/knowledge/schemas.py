from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from intake.knowledge.lifecycle import Action

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Step = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
# The whole article's text (title, symptoms, cause, steps): what a person reads on the phone, not a manual.
MAX_ARTICLE_CHARS = 20_000


def _refuse_oversize(*parts: str | list[str] | None) -> None:
    size = sum(len(p) if isinstance(p, str) else sum(map(len, p)) for p in parts if p)
    if size > MAX_ARTICLE_CHARS:
        raise PydanticCustomError(
            "knowledge.article_too_long",
            "the article is {size} characters long; at most {max_length}",
            {"size": size, "max_length": MAX_ARTICLE_CHARS},
        )


class Audience(StrEnum):
    INTERNAL = "internal"  # the vendor's staff only
    PUBLISHED = "published"  # every signed-in user once published, police stations included


class ArticleIn(BaseModel):
    """A new article (a draft). Steps: at least one, at most 30; the whole text at most 5,000 characters a
    part."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    symptoms: Text
    cause: Text | None = None
    steps: list[Step] = Field(min_length=1, max_length=30)
    category: Short | None = None
    subcategory: Short | None = None
    equipment_class: Short | None = None
    owning_system: Short | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    audience: Audience = Audience.INTERNAL
    source_ticket_id: UUID | None = None

    @model_validator(mode="after")
    def _size(self) -> "ArticleIn":
        _refuse_oversize(self.title, self.symptoms, self.cause, self.steps)
        return self


class ArticlePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    symptoms: Text | None = None
    cause: Text | None = None
    steps: list[Step] | None = Field(default=None, min_length=1, max_length=30)
    category: Short | None = None
    subcategory: Short | None = None
    equipment_class: Short | None = None
    owning_system: Short | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20)
    audience: Audience | None = None
    note: Note | None = None  # what changed, in the editor's words (kept with the version)

    @model_validator(mode="after")
    def _size(self) -> "ArticlePatch":
        _refuse_oversize(self.title, self.symptoms, self.cause, self.steps)
        return self


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    note: Note | None = None


class UseIn(BaseModel):
    """ "Solved with this article": the call or the ticket it solved (exactly one)."""

    model_config = ConfigDict(extra="forbid")

    call_id: UUID | None = None
    ticket_id: UUID | None = None


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    helpful: bool


class ArticleOut(BaseModel):
    id: UUID
    number: str
    title: str
    symptoms: str
    cause: str | None
    steps: list[str]
    category: str | None
    subcategory: str | None
    equipment_class: str | None
    owning_system: str | None
    tags: list[str]
    audience: str
    state: str
    version: int
    source_ticket_id: UUID | None
    author_name: str | None
    reviewed_by: str | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    views: int
    uses: int
    helpful: int
    not_helpful: int
    deflections: int


class VersionOut(BaseModel):
    version: int
    action: str
    changed_fields: list[str]
    content: dict[str, object]
    state: str
    note: str | None
    actor_name: str | None
    at: datetime


class ArticleDetail(ArticleOut):
    versions: list[VersionOut] = []


class SearchHit(BaseModel):
    id: UUID
    number: str
    title: str
    state: str
    audience: str
    # The title and the best passage with the query's words in <mark>…</mark>; everything else escaped.
    title_html: str
    snippet_html: str
    rank: float
    uses: int
    updated_at: datetime
    matched_by: str  # words | similarity (the typo-tolerant fallback)


class SearchOut(BaseModel):
    query: str
    words: list[str]
    fallback: bool
    items: list[SearchHit]


class StatsOut(BaseModel):
    articles_by_state: dict[str, int]
    uses_in_calls: int
    uses_in_tickets: int
    deflections: int
    helpful: int
    not_helpful: int
    views: int
