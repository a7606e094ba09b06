"""contract_particulars: the service contract an admin keeps (parties, number, period), printed on the
quarterly and annual acceptance reports; one row

Revision ID: reporting_0005
Revises: reporting_0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0005"
down_revision = "reporting_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_particulars",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("contract_number", sa.Text, nullable=False),
        sa.Column("contract_title", sa.Text, nullable=False),
        sa.Column("client_name", sa.Text, nullable=False),
        sa.Column("vendor_name", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="one_row"),
        sa.CheckConstraint("ends_on >= starts_on", name="period_in_order"),
    )


def downgrade() -> None:
    op.drop_table("contract_particulars")
