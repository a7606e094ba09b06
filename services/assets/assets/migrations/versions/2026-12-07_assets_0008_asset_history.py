"""asset history: the tickets and work orders that name an asset (from intake's and dispatch's events), and
the inspection stops found by asset

Revision ID: assets_0008
Revises: assets_0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "assets_0008"
down_revision = "assets_0005"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket_copy",
        sa.Column("ticket_id", UUID, primary_key=True),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("priority", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("channel", sa.Text),
        sa.Column("unit_id", UUID),
        sa.Column("asset_tag", sa.Text),
        sa.Column("created_at", TS),
        sa.Column("resolved_at", TS),
        sa.Column("closed_at", TS),
        sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ticket_copy_asset_tag_idx", "ticket_copy", ["asset_tag"])
    op.create_table(
        "work_order_copy",
        sa.Column("work_order_id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("engineer_name", sa.Text, nullable=False),
        sa.Column("assigned_at", TS),
        sa.Column("resolved_at", TS),
        sa.Column("resolution_code", sa.Text),
        sa.Column("summary", sa.Text),
        sa.Column("remote", sa.Boolean),
        sa.Column("last_event_at", TS, nullable=False),
    )
    op.create_index("work_order_copy_ticket_id_idx", "work_order_copy", ["ticket_id"])
    op.create_index("inspection_stop_asset_id_idx", "inspection_stop", ["asset_id"])


def downgrade() -> None:
    op.drop_index("inspection_stop_asset_id_idx", table_name="inspection_stop")
    op.drop_table("work_order_copy")
    op.drop_table("ticket_copy")
