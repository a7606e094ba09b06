"""inspections: checklist templates, plans, daily rounds, their stops and findings

Revision ID: assets_0004
Revises: assets_0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "assets_0004"
down_revision = "assets_0003"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def _kept() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", UUID, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", UUID, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "inspection_template",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("asset_class", sa.Text, nullable=False),
        sa.Column("items", pg.JSONB, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        *_kept(),
    )
    op.create_index("inspection_template_asset_class_idx", "inspection_template", ["asset_class"])
    op.create_table(
        "inspection_plan",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("frequency", sa.Text, nullable=False),
        sa.Column("weekday", sa.Integer),
        sa.Column("month_day", sa.Integer),
        sa.Column("due_time", sa.Time),
        sa.Column("post_id", UUID),
        sa.Column("post_name", sa.Text),
        sa.Column("asset_ids", pg.ARRAY(UUID), nullable=False, server_default="{}"),
        sa.Column("rooms", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("generated_through", sa.Date),
        *_kept(),
    )
    op.create_table(
        "inspection_round",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("plan_id", UUID, sa.ForeignKey("inspection_plan.id"), nullable=False),
        sa.Column("plan_name", sa.Text, nullable=False),
        sa.Column("post_id", UUID),
        sa.Column("post_name", sa.Text),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("generated_at", TS, nullable=False),
        sa.Column("completed_at", TS),
        sa.Column("completed_by", UUID),
        sa.Column("completed_by_name", sa.Text),
        sa.Column("missed_at", TS),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("plan_id", "day", name="inspection_round_plan_id_day_key"),
    )
    op.create_index("inspection_round_day_idx", "inspection_round", ["day"])
    # The worker's sweep: open rounds by deadline.
    op.create_index(
        "inspection_round_open_due_at_idx", "inspection_round", ["due_at"], postgresql_where=sa.text("status = 'open'")
    )
    op.create_table(
        "inspection_stop",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("round_id", UUID, sa.ForeignKey("inspection_round.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("asset_id", UUID, nullable=False),
        sa.Column("tag", sa.Text, nullable=False),
        sa.Column("asset_name", sa.Text),
        sa.Column("asset_class", sa.Text, nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("site", sa.Text, nullable=False),
        sa.Column("room", sa.Text),
        sa.Column("template_id", UUID),
        sa.Column("items", pg.JSONB, nullable=False),
        sa.Column("results", pg.JSONB),
        sa.Column("note", sa.Text),
        sa.Column("checked_at", TS),
        sa.Column("checked_by", UUID),
        sa.Column("checked_by_name", sa.Text),
    )
    op.create_index("inspection_stop_round_id_idx", "inspection_stop", ["round_id"])
    op.create_table(
        "inspection_finding",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("round_id", UUID, sa.ForeignKey("inspection_round.id"), nullable=False),
        sa.Column("stop_id", UUID, sa.ForeignKey("inspection_stop.id"), nullable=False),
        sa.Column("asset_id", UUID, nullable=False),
        sa.Column("item_key", sa.Text, nullable=False),
        sa.Column("item_label", sa.Text, nullable=False),
        sa.Column("reading", pg.JSONB),
        sa.Column("raised_at", TS, nullable=False),
        sa.Column("raised_by", UUID, nullable=False),
        sa.Column("raised_by_name", sa.Text, nullable=False),
        sa.UniqueConstraint("stop_id", "item_key", name="inspection_finding_stop_id_item_key_key"),
    )
    op.create_index("inspection_finding_round_id_idx", "inspection_finding", ["round_id"])
    op.create_index("inspection_finding_asset_id_idx", "inspection_finding", ["asset_id"])


def downgrade() -> None:
    op.drop_table("inspection_finding")
    op.drop_table("inspection_stop")
    op.drop_table("inspection_round")
    op.drop_table("inspection_plan")
    op.drop_table("inspection_template")
