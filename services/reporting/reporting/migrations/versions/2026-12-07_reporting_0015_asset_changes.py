"""asset changes: each registration, change of details, technical-ledger recording and change of status of the
equipment ledger (from asset.* events, one row per event), for the ledger's changes in the acceptance reports

Revision ID: reporting_0015
Revises: reporting_0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "reporting_0015"
down_revision = "reporting_0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_change_fact",
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("asset_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.Column("asset_class", sa.Text(), nullable=False),
        # registered | updated | technical (technical-ledger facts recorded) | status_changed
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("changed_fields", pg.ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("from_status", sa.Text()),
        sa.Column("to_status", sa.Text()),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),  # Asia/Shanghai
    )
    op.create_index("asset_change_fact_day_idx", "asset_change_fact", ["day"])
    # The ledger's past, from the events already kept (what `python -m reporting rebuild` would give).
    op.execute(
        "INSERT INTO asset_change_fact (event_id, asset_id, tag, asset_class, kind, changed_fields, from_status,"
        " to_status, changed_at, day) "
        "SELECT id, (d->>'asset_id')::uuid, d->>'tag', d->>'asset_class',"
        " CASE WHEN type = 'asset.registered' THEN 'registered' WHEN type = 'asset.status_changed' THEN"
        " 'status_changed' WHEN jsonb_typeof(d->'technical') = 'array' AND d->'technical' <> '[]'::jsonb THEN"
        " 'technical' ELSE 'updated' END,"
        " ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(d->'technical') = 'array'"
        " AND d->'technical' <> '[]'::jsonb THEN d->'technical' WHEN jsonb_typeof(d->'changed') = 'array'"
        " THEN d->'changed' ELSE '[]'::jsonb END)),"
        " CASE WHEN type = 'asset.status_changed' THEN d->>'from_status' END,"
        " CASE type WHEN 'asset.registered' THEN d->>'status' WHEN 'asset.status_changed' THEN d->>'to_status' END,"
        " at, (at AT TIME ZONE 'Asia/Shanghai')::date "
        "FROM (SELECT id, type, envelope->'data' AS d, CASE WHEN type = 'asset.status_changed'"
        " THEN (envelope->'data'->>'changed_at')::timestamptz ELSE occurred_at END AS at"
        " FROM stored_event WHERE type IN ('asset.registered', 'asset.updated', 'asset.status_changed')) e "
        "ON CONFLICT (event_id) DO NOTHING"
    )


def downgrade() -> None:
    op.drop_table("asset_change_fact")
