"""availability: the equipment ledger as reports need it (asset_dim, from asset.* events) and devices' down
intervals (device_outage, from the monitoring receiver's availability alerts), for the online-rate reports

Revision ID: reporting_0014
Revises: reporting_0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0014"
down_revision = "reporting_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_dim",
        sa.Column("asset_id", sa.Uuid(), primary_key=True),
        sa.Column("tag", sa.Text(), nullable=False, index=True),
        sa.Column("asset_class", sa.Text(), nullable=False),
        sa.Column("security_zone", sa.Text(), nullable=False),
        sa.Column("owning_system", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("applied_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "device_outage",
        sa.Column("alert_id", sa.Uuid(), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("asset_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("asset_tag", sa.Text(), nullable=True),
        sa.Column("asset_class", sa.Text(), nullable=True),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("alertname", sa.Text(), nullable=False),
    )
    # The report reads the outages overlapping a period: by start, an open one by its null end.
    op.create_index("device_outage_started_at_idx", "device_outage", ["started_at"])


def downgrade() -> None:
    op.drop_table("device_outage")
    op.drop_table("asset_dim")
