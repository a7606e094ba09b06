"""the full ticket (life cycle, resolution, rating, unit subtree), comments, attachments, units and
users from the gateway, calls, idempotent creates, Chinese substring search

Revision ID: intake_0002
Revises: intake_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
NEW_TICKET_COLUMNS = [
    sa.Column("subcategory", sa.Text),
    sa.Column("impact", sa.Text),
    sa.Column("urgency", sa.Text),
    sa.Column("priority_reason", sa.Text),
    sa.Column("status_before_pending", sa.Text),
    sa.Column("pending_reason", sa.Text),
    sa.Column("asset_tag", sa.Text),
    sa.Column("location", sa.Text),
    sa.Column("sla_state", sa.Text, nullable=False, server_default="on_track"),
    sa.Column("engineer_name", sa.Text),
    sa.Column("resolution_code", sa.Text),
    sa.Column("resolution_summary", sa.Text),
    sa.Column("resolved_at", TS),
    sa.Column("resolved_remotely", sa.Boolean),
    sa.Column("closed_at", TS),
    sa.Column("rating", sa.Integer),
    sa.Column("feedback", sa.Text),
    sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
]


def upgrade() -> None:
    for column in NEW_TICKET_COLUMNS:
        op.add_column("ticket", column)
    op.add_column("ticket", sa.Column("unit_path", pg.ARRAY(UUID)))
    op.execute("UPDATE ticket SET unit_path = ARRAY[unit_id]")
    op.alter_column("ticket", "unit_path", nullable=False)
    op.create_index("ticket_unit_path_idx", "ticket", ["unit_path"], postgresql_using="gin")
    op.create_index(
        "ticket_resolved_at_idx", "ticket", ["resolved_at"], postgresql_where=sa.text("status = 'resolved'")
    )
    op.create_index("ticket_asset_tag_idx", "ticket", ["asset_tag"])
    # Free-text search: trigram index over one generated column. pg_trgm indexes CJK characters too
    # (they are letters to the UTF-8 locale), so `ILIKE '%读卡器%'` is an index scan, not a table scan.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "ALTER TABLE ticket ADD COLUMN search_text text GENERATED ALWAYS AS ("
        "number || ' ' || title || ' ' || description || ' ' || requester_name || ' ' || "
        "coalesce(asset_tag, '') || ' ' || coalesce(location, '')) STORED"
    )
    op.execute("CREATE INDEX ticket_search_trgm_idx ON ticket USING gin (search_text gin_trgm_ops)")

    op.create_table(
        "ticket_comment",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, sa.ForeignKey("ticket.id"), nullable=False, index=True),
        sa.Column("author_id", UUID),
        sa.Column("author_name", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "ticket_attachment",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, sa.ForeignKey("ticket.id"), nullable=False, index=True),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("uploaded_by", UUID),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "attachment_blob",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "known_unit",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("parent_id", UUID),
        sa.Column("path", pg.ARRAY(UUID), nullable=False),
    )
    op.create_table(
        "known_user",
        sa.Column("user_id", UUID, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, index=True),
        sa.Column("unit_id", UUID),
        sa.Column("roles", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "call",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("cti_call_id", sa.Text, unique=True),
        sa.Column("caller_phone", sa.Text, nullable=False, index=True),
        sa.Column("direction", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("started_at", TS, nullable=False, index=True),
        sa.Column("answered_at", TS),
        sa.Column("ended_at", TS),
        sa.Column("operator_id", UUID),
        sa.Column("operator_name", sa.Text),
        sa.Column("agent", sa.Text),
        sa.Column("outcome", sa.Text),
        sa.Column("notes", sa.Text),
        sa.Column("ticket_id", UUID, sa.ForeignKey("ticket.id"), index=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "idempotent_request",
        sa.Column("principal_id", UUID, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("ticket_id", UUID),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "idempotent_request",
        "call",
        "known_user",
        "known_unit",
        "attachment_blob",
        "ticket_attachment",
        "ticket_comment",
    ):
        op.drop_table(table)
    op.execute("ALTER TABLE ticket DROP COLUMN search_text")
    op.drop_index("ticket_asset_tag_idx", table_name="ticket")
    op.drop_index("ticket_resolved_at_idx", table_name="ticket")
    op.drop_index("ticket_unit_path_idx", table_name="ticket")
    op.drop_column("ticket", "unit_path")
    for column in reversed(NEW_TICKET_COLUMNS):
        op.drop_column("ticket", column.name)
