"""The knowledge base's tables: articles, their append-only versions, their uses in calls and tickets, and
what readers said of them (helpful or not, a filing they no longer needed)."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class Article(SQLModel, table=True):
    """One article (知识条目). `title_seg` and `body_seg` hold the words jieba cut the text into, joined by
    spaces: the database's `search_vector` (generated, 'simple' configuration, GIN index) is made of them."""

    __tablename__ = "knowledge_article"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    number: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))  # KB-000123
    title: str
    symptoms: str
    cause: str | None = None
    steps: list[str] = Field(sa_column=sa.Column(pg.ARRAY(sa.Text), nullable=False))
    category: str | None = None
    subcategory: str | None = None  # the kind of work
    equipment_class: str | None = None
    owning_system: str | None = None
    tags: list[str] = Field(sa_column=sa.Column(pg.ARRAY(sa.Text), nullable=False))
    audience: str  # internal | published
    state: str = Field(index=True)  # draft | in_review | published | retired
    version: int = 1
    source_ticket_id: UUID | None = None
    author_id: UUID | None = None
    author_name: str | None = None
    reviewed_by: str | None = None
    published_at: datetime | None = Field(default=None, sa_column=timestamp())
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))
    views: int = 0
    uses: int = 0
    helpful: int = 0
    not_helpful: int = 0
    deflections: int = 0
    title_seg: str
    body_seg: str


class ArticleVersion(SQLModel, table=True):
    """Every change of an article, as it stood after it, and who made it: never updated nor deleted (a
    trigger refuses both)."""

    __tablename__ = "knowledge_article_version"

    article_id: UUID = Field(foreign_key="knowledge_article.id", primary_key=True)
    version: int = Field(primary_key=True)
    action: str  # created | edited | submitted | published | returned | retired | reopened
    changed_fields: list[str] = Field(sa_column=sa.Column(pg.ARRAY(sa.Text), nullable=False))
    content: dict[str, Any] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    state: str
    note: str | None = None
    actor_id: UUID | None = None
    actor_name: str | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class ArticleUse(SQLModel, table=True):
    """A call or ticket solved with an article ("用此文章解决"): first-call resolution by article."""

    __tablename__ = "knowledge_article_use"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    article_id: UUID = Field(foreign_key="knowledge_article.id", index=True)
    call_id: UUID | None = Field(default=None, foreign_key="call.id")
    ticket_id: UUID | None = Field(default=None, foreign_key="ticket.id")
    actor_id: UUID | None = None
    actor_name: str | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class ArticleFeedback(SQLModel, table=True):
    """A reader's verdict on an article: helpful or not (one per reader, the latest counts), or that it
    spared them filing a ticket (deflection)."""

    __tablename__ = "knowledge_article_feedback"

    article_id: UUID = Field(foreign_key="knowledge_article.id", primary_key=True)
    user_id: UUID = Field(primary_key=True)
    kind: str = Field(primary_key=True)  # vote | deflection
    helpful: bool | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))
