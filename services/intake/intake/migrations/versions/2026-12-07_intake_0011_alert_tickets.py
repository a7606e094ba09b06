"""alert_tickets: which ticket each monitoring alert (source, fingerprint) is on, and its episode

Revision ID: intake_0011
Revises: intake_0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "intake_0011"
down_revision = "intake_0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_ticket",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, primary_key=True),
        sa.Column("ticket_id", UUID(as_uuid=True), sa.ForeignKey("ticket.id"), nullable=False, index=True),
        sa.Column("alertname", sa.Text, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("firing", sa.Boolean, nullable=False),
        sa.Column("recovered_at", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("alert_ticket")
