"""tickets closed as duplicates are flagged on their fact, counted apart and not as work

Facts folded before the flag keep false: no duplicate existed before `ticket.cancelled` named one.

Revision ID: reporting_0008
Revises: reporting_0007
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0008"
down_revision = "reporting_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ticket_fact", sa.Column("duplicate", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("ticket_fact", "duplicate")
