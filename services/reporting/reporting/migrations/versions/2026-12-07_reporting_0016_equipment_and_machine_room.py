"""equipment statistics and the machine-room inspection report: the ledger asset a ticket names
(ticket_fact.asset_id/asset_tag), the asset's name and place (asset_dim), the classes of a round's assets
and every reading of a completed round (inspection_reading_fact). The facts are emptied so `reporting
migrate` refills them from the kept events, the new columns included.

Revision ID: reporting_0016
Revises: reporting_0015
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "reporting_0016"
down_revision = "reporting_0015"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("ticket_fact", sa.Column("asset_id", sa.Uuid(), nullable=True))
    op.add_column("ticket_fact", sa.Column("asset_tag", sa.Text(), nullable=True))
    op.create_index("ticket_fact_asset_id_idx", "ticket_fact", ["asset_id"])
    for column in ("name", "site", "room"):
        op.add_column("asset_dim", sa.Column(column, sa.Text(), nullable=True))
    op.add_column(
        "inspection_round_fact",
        sa.Column("asset_classes", pg.ARRAY(sa.Text()), nullable=False, server_default="{}"),
    )
    op.create_table(
        "inspection_reading_fact",
        sa.Column("round_id", sa.Uuid(), primary_key=True),
        sa.Column("asset_id", sa.Uuid(), primary_key=True),
        sa.Column("item_key", sa.Text(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False, index=True),  # the round's day, Asia/Shanghai
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("asset_class", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("item_label", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),  # as printed: 24.5 / 是 yes / 否 no
        sa.Column("measure_unit", sa.Text(), nullable=True),
        sa.Column("normal_low", sa.Float(), nullable=True),
        sa.Column("normal_high", sa.Float(), nullable=True),
        sa.Column("abnormal", sa.Boolean(), nullable=False),
        sa.Column("checked_at", TS, nullable=True),
        sa.Column("checked_by_name", sa.Text(), nullable=True),
    )
    # Emptied: the rebuild after the migration refills every fact (and the rollups) from `stored_event`.
    op.execute("TRUNCATE ticket_fact, asset_dim, inspection_round_fact")


def downgrade() -> None:
    op.drop_table("inspection_reading_fact")
    op.drop_column("inspection_round_fact", "asset_classes")
    for column in ("room", "site", "name"):
        op.drop_column("asset_dim", column)
    op.drop_index("ticket_fact_asset_id_idx", table_name="ticket_fact")
    op.drop_column("ticket_fact", "asset_tag")
    op.drop_column("ticket_fact", "asset_id")
