"""part_number: a work order's part may name the spare-parts catalogue's number (assets reconciles it)

Revision ID: dispatch_0010
Revises: dispatch_0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "dispatch_0010"
down_revision = "dispatch_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("work_order_part", sa.Column("part_number", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("work_order_part", "part_number")
