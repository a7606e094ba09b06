"""Second factor: each user's TOTP secret (encrypted by the gateway), when it was confirmed, and the last
time step a code was accepted for (so no code works twice).

Revision ID: gateway_0004
Revises: gateway_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "gateway_0004"
down_revision = "gateway_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("totp_secret", sa.Text, nullable=True))
    op.add_column("app_user", sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("app_user", sa.Column("totp_last_step", sa.BigInteger, nullable=True))


def downgrade() -> None:
    for column in ("totp_last_step", "totp_confirmed_at", "totp_secret"):
        op.drop_column("app_user", column)
