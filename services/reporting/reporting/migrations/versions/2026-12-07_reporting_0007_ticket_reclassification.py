"""reclassification: the version of the ticket whose classification (unit, category, priority, title) the
fact holds, so `ticket.updated` moves a ticket to its new unit and category and a `ticket.created` arriving
after it does not move it back

Facts folded before this keep 0: the creation's classification, replaced by any update.

Revision ID: reporting_0007
Revises: reporting_0006
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0007"
down_revision = "reporting_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ticket_fact", sa.Column("classified_version", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("ticket_fact", "classified_version")
