"""event order: the version of each unit last folded into unit_dim, so an older path arriving late (which
decides which requesters see the unit's figures) never replaces a newer one

Rows folded before versions existed keep 0 (`opsdesk_shared/messaging/ordering.py`).

Revision ID: reporting_0004
Revises: reporting_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0004"
down_revision = "reporting_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("unit_dim", sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("unit_dim", "applied_version")
