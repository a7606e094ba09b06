"""the equipment ledger, its status history and the technical ledger; the unit tree; outbox, inbox, parked
and stale events

Revision ID: assets_0001
Revises:
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from opsdesk_shared.messaging.tables import (
    create_messaging_tables,
    create_parked_table,
    create_stale_event_table,
    drop_messaging_tables,
    drop_parked_table,
    drop_stale_event_table,
)

revision = "assets_0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
SEARCH_EXPRESSION = (
    "tag || ' ' || coalesce(name, '') || ' ' || security_zone || ' ' || owning_system || ' ' || site || ' ' || "
    "coalesce(room, '') || ' ' || coalesce(rack, '') || ' ' || coalesce(maker, '') || ' ' || "
    "coalesce(model, '') || ' ' || coalesce(serial_number, '') || ' ' || coalesce(custodian, '') || ' ' || "
    "coalesce(notes, '')"
)


def upgrade() -> None:
    create_messaging_tables()
    create_parked_table()
    create_stale_event_table()
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "directory_unit",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("parent_id", UUID),
        sa.Column("path", pg.ARRAY(UUID), nullable=False, server_default="{}"),
        sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("directory_unit_code_idx", "directory_unit", ["code"])
    op.create_table(
        "asset",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("tag", sa.Text, nullable=False),
        sa.Column("asset_class", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("security_zone", sa.Text, nullable=False),
        sa.Column("owning_system", sa.Text, nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("unit_path", pg.ARRAY(UUID), nullable=False),
        sa.Column("site", sa.Text, nullable=False),
        sa.Column("room", sa.Text),
        sa.Column("rack", sa.Text),
        sa.Column("maker", sa.Text),
        sa.Column("model", sa.Text),
        sa.Column("serial_number", sa.Text),
        sa.Column("commissioned_on", sa.Date),
        sa.Column("warranty_until", sa.Date),
        sa.Column("criticality", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("custodian", sa.Text),
        sa.Column("notes", sa.Text),
        sa.Column("search_text", sa.Text, sa.Computed(SEARCH_EXPRESSION, persisted=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", UUID),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", UUID),
        sa.UniqueConstraint("tag", name="asset_tag_key"),
    )
    for column in ("asset_class", "security_zone", "owning_system", "unit_id", "status"):
        op.create_index(f"asset_{column}_idx", "asset", [column])
    op.create_index("asset_unit_path_idx", "asset", ["unit_path"], postgresql_using="gin")
    op.execute("CREATE INDEX asset_search_text_trgm_idx ON asset USING gin (search_text gin_trgm_ops)")
    op.create_table(
        "asset_status_change",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("asset_id", UUID, sa.ForeignKey("asset.id"), nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("approval_ref", sa.Text),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("changed_by", UUID),
        sa.Column("changed_by_name", sa.Text),
    )
    op.create_index("asset_status_change_asset_id_idx", "asset_status_change", ["asset_id"])
    op.create_table(
        "technical_entry",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("asset_id", UUID, sa.ForeignKey("asset.id"), nullable=False),
        sa.Column("fact", sa.Text, nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", UUID, nullable=False),
        sa.Column("recorded_by_name", sa.Text, nullable=False),
    )
    op.create_index("technical_entry_asset_id_fact_idx", "technical_entry", ["asset_id", "fact", "recorded_at"])
    # The histories are kept, never rewritten: not by the API (it has no such route), nor by anything else.
    op.execute(
        "CREATE FUNCTION assets_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; END $$"
    )
    for table in ("technical_entry", "asset_status_change"):
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION assets_history_is_append_only()"
        )


def downgrade() -> None:
    op.drop_table("technical_entry")
    op.drop_table("asset_status_change")
    op.execute("DROP FUNCTION assets_history_is_append_only()")
    op.drop_table("asset")
    op.drop_table("directory_unit")
    drop_stale_event_table()
    drop_parked_table()
    drop_messaging_tables()
