"""finding_ticket: which ticket each inspection finding became (from intake's `finding.ticketed`)

Revision ID: assets_findings_0005
Revises: assets_0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "assets_findings_0005"
down_revision = "assets_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inspection_finding", sa.Column("ticket_id", pg.UUID(as_uuid=True)))
    op.add_column("inspection_finding", sa.Column("ticket_number", sa.Text))
    # False: the finding was added to the open ticket of an earlier finding of the same asset and item.
    op.add_column("inspection_finding", sa.Column("ticket_opened", sa.Boolean))


def downgrade() -> None:
    op.drop_column("inspection_finding", "ticket_opened")
    op.drop_column("inspection_finding", "ticket_number")
    op.drop_column("inspection_finding", "ticket_id")
