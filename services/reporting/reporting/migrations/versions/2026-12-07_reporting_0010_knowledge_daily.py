"""calls and tickets solved with a knowledge-base article, and filings it spared, per local day

Revision ID: reporting_0010
Revises: reporting_0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0010"
down_revision = "reporting_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_daily",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),  # call_solved | ticket_solved | filing_spared
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("day", "kind"),
    )


def downgrade() -> None:
    op.drop_table("knowledge_daily")
