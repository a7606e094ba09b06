"""Saved views: a person's named filters of a list page (the staff's ticket list).

Revision ID: gateway_0010
Revises: gateway_0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "gateway_0010"
down_revision = "gateway_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_view",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", pg.UUID(as_uuid=True), sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("page", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "page", "name", name="saved_view_user_page_name_key"),
    )
    op.create_index("saved_view_user_id_idx", "saved_view", ["user_id"])


def downgrade() -> None:
    op.drop_table("saved_view")
