"""the knowledge base: articles searched in Chinese (jieba's words in a 'simple' tsvector, trigrams as the
fallback), their append-only versions, their uses in calls and tickets, readers' feedback

Revision ID: intake_0009
Revises: intake_0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "intake_0009"
down_revision = "intake_0008"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
TEXTS = pg.ARRAY(sa.Text)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE knowledge_article_number_seq")
    op.create_table(
        "knowledge_article",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("number", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("symptoms", sa.Text, nullable=False),
        sa.Column("cause", sa.Text),
        sa.Column("steps", TEXTS, nullable=False),
        sa.Column("category", sa.Text),
        sa.Column("subcategory", sa.Text),
        sa.Column("equipment_class", sa.Text),
        sa.Column("owning_system", sa.Text),
        sa.Column("tags", TEXTS, nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("source_ticket_id", UUID),
        sa.Column("author_id", UUID),
        sa.Column("author_name", sa.Text),
        sa.Column("reviewed_by", sa.Text),
        sa.Column("published_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        *(
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in ("views", "uses", "helpful", "not_helpful", "deflections")
        ),
        sa.Column("title_seg", sa.Text, nullable=False),
        sa.Column("body_seg", sa.Text, nullable=False),
        sa.CheckConstraint("audience IN ('internal', 'published')", name="knowledge_article_audience"),
        sa.CheckConstraint("state IN ('draft', 'in_review', 'published', 'retired')", name="knowledge_article_state"),
    )
    # The words jieba found, title first: 'simple' keeps them as they are (lower-cased), no stemming.
    op.execute(
        "ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        " setweight(to_tsvector('simple', title_seg), 'A') || setweight(to_tsvector('simple', body_seg), 'B')"
        ") STORED"
    )
    op.execute("CREATE INDEX knowledge_article_search_idx ON knowledge_article USING gin (search_vector)")
    # The fallback for typos: trigrams over the title, symptoms and tags as written.
    op.execute(
        "ALTER TABLE knowledge_article ADD COLUMN search_plain text GENERATED ALWAYS AS ("
        " lower(title || ' ' || symptoms || ' ' || coalesce(equipment_class, '') || ' ' || coalesce(owning_system, ''))"
        ") STORED"
    )
    op.execute("CREATE INDEX knowledge_article_trgm_idx ON knowledge_article USING gin (search_plain gin_trgm_ops)")

    op.create_table(
        "knowledge_article_version",
        sa.Column("article_id", UUID, sa.ForeignKey("knowledge_article.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("changed_fields", TEXTS, nullable=False),
        sa.Column("content", pg.JSONB, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("actor_id", UUID),
        sa.Column("actor_name", sa.Text),
        sa.Column("at", TS, nullable=False),
    )
    op.execute(
        "CREATE FUNCTION knowledge_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
        " BEGIN RAISE EXCEPTION 'knowledge_article_version is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER knowledge_version_append_only BEFORE UPDATE OR DELETE ON knowledge_article_version"
        " FOR EACH ROW EXECUTE FUNCTION knowledge_version_append_only()"
    )
    op.create_table(
        "knowledge_article_use",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("article_id", UUID, sa.ForeignKey("knowledge_article.id"), nullable=False, index=True),
        sa.Column("call_id", UUID, sa.ForeignKey("call.id")),
        sa.Column("ticket_id", UUID, sa.ForeignKey("ticket.id")),
        sa.Column("actor_id", UUID),
        sa.Column("actor_name", sa.Text),
        sa.Column("at", TS, nullable=False),
        sa.CheckConstraint("num_nonnulls(call_id, ticket_id) = 1", name="knowledge_article_use_one_target"),
    )
    op.execute(
        "CREATE UNIQUE INDEX knowledge_article_use_call ON knowledge_article_use (article_id, call_id)"
        " WHERE call_id IS NOT NULL"
    )
    op.execute(
        "CREATE UNIQUE INDEX knowledge_article_use_ticket ON knowledge_article_use (article_id, ticket_id)"
        " WHERE ticket_id IS NOT NULL"
    )
    op.create_table(
        "knowledge_article_feedback",
        sa.Column("article_id", UUID, sa.ForeignKey("knowledge_article.id"), primary_key=True),
        sa.Column("user_id", UUID, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("helpful", sa.Boolean),
        sa.Column("at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("knowledge_article_feedback")
    op.drop_table("knowledge_article_use")
    op.execute("DROP TRIGGER knowledge_version_append_only ON knowledge_article_version")
    op.drop_table("knowledge_article_version")
    op.execute("DROP FUNCTION knowledge_version_append_only()")
    op.drop_table("knowledge_article")
    op.execute("DROP SEQUENCE knowledge_article_number_seq")
