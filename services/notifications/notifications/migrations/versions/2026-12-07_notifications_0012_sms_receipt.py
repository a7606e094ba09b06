"""sms_receipt: provider delivery receipts as accepted, until the worker applies them in batches

Revision ID: notifications_0012
Revises: notifications_0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "notifications_0012"
down_revision = "notifications_0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No index beyond the key: the worker claims the oldest rows by id and deletes them once applied, so the
    # table stays a handful of rows.
    op.create_table(
        "sms_receipt",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("provider_sid", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error_code", sa.Text),
        sa.Column("detail", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    # Receipts not yet applied are kept as orphans, which the previous code applies when it records a send.
    # (Those whose send is already recorded would be lost: stop the API and let the worker drain first.)
    op.execute(
        "INSERT INTO sms_orphan_callback (provider_sid, status, error_code, at)"
        " SELECT provider_sid, status, error_code, received_at FROM sms_receipt"
    )
    op.drop_table("sms_receipt")
