"""ledger references and inspection findings: intake's copy of the equipment ledger (from `asset.*` events),
a ticket's checked asset (or its tag flagged unknown), and which ticket each inspection finding became

Revision ID: intake_0010
Revises: intake_0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "intake_0010"
down_revision = "intake_0009"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "known_asset",
        sa.Column("asset_id", UUID, primary_key=True),
        # Unique in the ledger; not here, where a renamed tag's events may arrive out of order.
        sa.Column("tag", sa.Text, nullable=False, index=True),
        sa.Column("asset_class", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("site", sa.Text),  # None when a status change arrived before the registration
        sa.Column("room", sa.Text),
        sa.Column("criticality", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.add_column("ticket", sa.Column("asset_id", UUID))
    op.add_column("ticket", sa.Column("asset_unknown", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_index("ix_ticket_asset_id", "ticket", ["asset_id"])
    op.create_table(
        "finding_ticket",
        sa.Column("finding_id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, sa.ForeignKey("ticket.id"), nullable=False, index=True),
        sa.Column("asset_id", UUID, nullable=False),
        sa.Column("item_key", sa.Text, nullable=False),
        sa.Column("opened", sa.Boolean, nullable=False),
        sa.Column("raised_at", TS, nullable=False),
    )
    op.create_index("ix_finding_ticket_asset_item", "finding_ticket", ["asset_id", "item_key"])


def downgrade() -> None:
    op.drop_table("finding_ticket")
    op.drop_index("ix_ticket_asset_id", table_name="ticket")
    op.drop_column("ticket", "asset_unknown")
    op.drop_column("ticket", "asset_id")
    op.drop_table("known_asset")
