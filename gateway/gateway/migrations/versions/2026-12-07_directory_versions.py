"""event order: each unit's and user's version, one more per announced change, carried by unit.* / user.*

Rows made before versions existed start at 0 (`opsdesk_shared/messaging/ordering.py`).

Revision ID: gateway_0008
Revises: gateway_0007
"""

import sqlalchemy as sa
from alembic import op

revision = "gateway_0008"
down_revision = "gateway_0007"
branch_labels = None
depends_on = None

TABLES = ("unit", "app_user")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "version")
