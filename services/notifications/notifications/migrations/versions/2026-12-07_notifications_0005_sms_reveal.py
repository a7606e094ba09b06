"""sms_reveal: each business SMS the security administrator read in full, with who and why

Revision ID: notifications_0005
Revises: notifications_0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "notifications_0005"
down_revision = "notifications_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_reveal",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("message_id", pg.UUID(as_uuid=True), sa.ForeignKey("sms_message.id"), nullable=False),
        sa.Column("actor_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("actor_name", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("sms_reveal_message_id_idx", "sms_reveal", ["message_id"])


def downgrade() -> None:
    op.drop_index("sms_reveal_message_id_idx", table_name="sms_reveal")
    op.drop_table("sms_reveal")
