"""improvement measures proposed from a visit's hidden risk: the visit and the risk they came from

Revision ID: assets_0012
Revises: assets_0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "assets_0012"
down_revision = "assets_0006"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.add_column("measure", sa.Column("visit_id", UUID, sa.ForeignKey("visit.id", name="measure_visit_id_fkey")))
    op.add_column(
        "measure", sa.Column("visit_risk_id", UUID, sa.ForeignKey("visit_risk.id", name="measure_visit_risk_id_fkey"))
    )
    op.create_index("ix_measure_visit_id", "measure", ["visit_id"])
    # One risk, one measure: asked twice (two clicks, two people), the second finds the first.
    op.create_index("ix_measure_visit_risk_id", "measure", ["visit_risk_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_measure_visit_risk_id", table_name="measure")
    op.drop_index("ix_measure_visit_id", table_name="measure")
    op.drop_column("measure", "visit_risk_id")
    op.drop_column("measure", "visit_id")
