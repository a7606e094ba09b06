"""improvement measures (改进措施) and the history of their steps

Revision ID: assets_0006
Revises: assets_0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "assets_0006"
down_revision = "assets_0007"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "measure",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("problem", sa.Text, nullable=False),
        sa.Column("proposal", sa.Text, nullable=False),
        sa.Column("finding_id", UUID, sa.ForeignKey("inspection_finding.id")),
        sa.Column("round_id", UUID, sa.ForeignKey("inspection_round.id")),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("planned_on", sa.Date),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("proposed_by", UUID, nullable=False),
        sa.Column("proposed_by_name", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_index("measure_finding_id_idx", "measure", ["finding_id"])
    op.create_index("measure_round_id_idx", "measure", ["round_id"])
    op.create_index("measure_state_idx", "measure", ["state"])
    op.create_table(
        "measure_step",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("measure_id", UUID, sa.ForeignKey("measure.id"), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("from_state", sa.Text),
        sa.Column("to_state", sa.Text, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("planned_on", sa.Date),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", UUID, nullable=False),
        sa.Column("by_name", sa.Text, nullable=False),
    )
    op.create_index("measure_step_measure_id_idx", "measure_step", ["measure_id"])


def downgrade() -> None:
    op.drop_table("measure_step")
    op.drop_table("measure")
