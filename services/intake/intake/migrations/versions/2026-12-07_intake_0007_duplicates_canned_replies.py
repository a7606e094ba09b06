"""duplicates linked to the ticket that survives them; canned replies kept by admins

Revision ID: intake_0007
Revises: intake_0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "intake_0007"
down_revision = "intake_0006"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket_duplicate",
        sa.Column("duplicate_id", UUID, sa.ForeignKey("ticket.id"), primary_key=True),
        sa.Column("survivor_id", UUID, sa.ForeignKey("ticket.id"), nullable=False, index=True),
        sa.Column("marked_by", UUID),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "canned_reply",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("title", sa.Text, nullable=False, unique=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("canned_reply")
    op.drop_table("ticket_duplicate")
