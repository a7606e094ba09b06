"""a visit's hidden risk proposed as an improvement measure: the measure beside the ticket in the visits section

Revision ID: reporting_0017
Revises: reporting_0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "reporting_0017"
down_revision = "reporting_0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("visit_risk_fact", sa.Column("measure_id", pg.UUID(as_uuid=True)))
    op.add_column("visit_risk_fact", sa.Column("measure_title", sa.Text))


def downgrade() -> None:
    op.drop_column("visit_risk_fact", "measure_title")
    op.drop_column("visit_risk_fact", "measure_id")
