"""inspections for the daily inspection report (日常巡检报告): each round completed or missed, each finding
and the ticket it became, from the assets service's and intake's events

Revision ID: reporting_0011
Revises: reporting_0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "reporting_0011"
down_revision = "reporting_0010"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inspection_round_fact",
        sa.Column("round_id", UUID, primary_key=True),
        sa.Column("plan_id", UUID, nullable=False),
        sa.Column("plan_name", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False, index=True),  # Asia/Shanghai
        sa.Column("due_at", TS, nullable=False),
        sa.Column("post_name", sa.Text),
        sa.Column("status", sa.Text, nullable=False),  # completed | missed
        sa.Column("completed_at", TS),
        sa.Column("completed_by_name", sa.Text),
        sa.Column("stops", sa.Integer, nullable=False),
        sa.Column("stops_checked", sa.Integer, nullable=False),
        sa.Column("items_checked", sa.Integer, nullable=False, server_default="0"),
        sa.Column("abnormal_items", sa.Integer, nullable=False, server_default="0"),
        sa.Column("missed_recorded_at", TS),
    )
    op.create_table(
        "inspection_finding_fact",
        sa.Column("finding_id", UUID, primary_key=True),
        # Null until `inspection.finding_raised` arrives (intake's `finding.ticketed` may come first).
        sa.Column("round_id", UUID),
        sa.Column("day", sa.Date, index=True),
        sa.Column("asset_id", UUID),
        sa.Column("tag", sa.Text),
        sa.Column("asset_class", sa.Text),
        sa.Column("unit_id", UUID),
        sa.Column("place", sa.Text),
        sa.Column("item_label", sa.Text),
        sa.Column("reading", sa.Text),
        sa.Column("inspector_name", sa.Text),
        sa.Column("raised_at", TS),
        sa.Column("ticket_id", UUID),
        sa.Column("ticket_number", sa.Text),
        sa.Column("ticket_opened", sa.Boolean),
    )


def downgrade() -> None:
    op.drop_table("inspection_finding_fact")
    op.drop_table("inspection_round_fact")
