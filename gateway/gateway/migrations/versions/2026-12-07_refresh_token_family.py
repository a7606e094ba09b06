"""Refresh tokens in families: every token rotated from one sign-in shares its `family_id` and the time of
that sign-in (`signed_in_at`), so a reused token revokes the whole family and a session ends a fixed time
after the sign-in however often it is refreshed. Existing tokens become families of one.

Revision ID: gateway_0007
Revises: gateway_0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "gateway_0007"
down_revision = "gateway_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("refresh_token", sa.Column("family_id", pg.UUID(as_uuid=True), nullable=True))
    op.add_column("refresh_token", sa.Column("signed_in_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE refresh_token SET family_id = id, signed_in_at = created_at")
    op.alter_column("refresh_token", "family_id", nullable=False)
    op.alter_column("refresh_token", "signed_in_at", nullable=False)
    op.create_index("refresh_token_family_id_idx", "refresh_token", ["family_id"])


def downgrade() -> None:
    op.drop_index("refresh_token_family_id_idx", table_name="refresh_token")
    op.drop_column("refresh_token", "signed_in_at")
    op.drop_column("refresh_token", "family_id")
