"""monitoring: alerts from Alertmanager and generic webhooks, the rules that decide what they do (with one
default rule: every alert opens a ticket, severity → priority, storms share one), maintenance windows

Revision ID: assets_0009
Revises: assets_0004
Create Date: 2026-12-07
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "assets_0009"
down_revision = "assets_0004"
branch_labels = None
depends_on = None

DEFAULT_RULE = {
    "name": "所有告警 (default)",
    "position": 1000,
    "matchers": [],
    "opens_tickets": True,
    "severity_priority": {"critical": "P1", "major": "P2", "high": "P2", "warning": "P3", "minor": "P3", "info": "P4"},
    "default_priority": "P3",
    "auto_resolve": False,
    "reopen_window_s": 3600,
    "category": "fault",
    "kind_of_work": None,
    "group_storms": True,
    "availability": False,
}


def upgrade() -> None:
    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_tag", sa.Text(), nullable=True),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("maintenance_window_pkey")),
    )
    op.create_index(op.f("maintenance_window_ends_at_idx"), "maintenance_window", ["ends_at"], unique=False)
    op.create_table(
        "monitoring_alert",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("alertname", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("labels", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("annotations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("generator_url", sa.Text(), nullable=True),
        sa.Column("group_key", sa.Text(), nullable=True),
        sa.Column("group_lead", sa.Text(), nullable=True),
        sa.Column("opens_ticket", sa.Boolean(), nullable=False),
        sa.Column("asset_tag", sa.Text(), nullable=True),
        sa.Column("asset_id", sa.Uuid(), nullable=True),
        sa.Column("unit_id", sa.Uuid(), nullable=True),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("in_maintenance", sa.Boolean(), nullable=False),
        sa.Column("availability", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deliveries", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("monitoring_alert_pkey")),
        sa.UniqueConstraint("source", "fingerprint", name=op.f("monitoring_alert_source_key")),
    )
    op.create_index(op.f("monitoring_alert_asset_tag_idx"), "monitoring_alert", ["asset_tag"], unique=False)
    op.create_index("monitoring_alert_group_idx", "monitoring_alert", ["source", "group_key", "status"], unique=False)
    op.create_table(
        "monitoring_rule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("matchers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("opens_tickets", sa.Boolean(), nullable=False),
        sa.Column("severity_priority", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("default_priority", sa.Text(), nullable=False),
        sa.Column("auto_resolve", sa.Boolean(), nullable=False),
        sa.Column("reopen_window_s", sa.Integer(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("kind_of_work", sa.Text(), nullable=True),
        sa.Column("group_storms", sa.Boolean(), nullable=False),
        sa.Column("availability", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("monitoring_rule_pkey")),
    )
    rules = sa.table(
        "monitoring_rule",
        *(sa.column(name) for name in (*DEFAULT_RULE, "id", "updated_at")),
    )
    op.execute(
        rules.insert().values(
            id=uuid.uuid4(),
            updated_at=datetime.now(UTC),
            **{
                k: (sa.cast(sa.literal(v, sa.JSON), postgresql.JSONB) if isinstance(v, dict | list) else v)
                for k, v in DEFAULT_RULE.items()
            },
        )
    )


def downgrade() -> None:
    op.drop_table("monitoring_rule")
    op.drop_index("monitoring_alert_group_idx", table_name="monitoring_alert")
    op.drop_index(op.f("monitoring_alert_asset_tag_idx"), table_name="monitoring_alert")
    op.drop_table("monitoring_alert")
    op.drop_index(op.f("maintenance_window_ends_at_idx"), table_name="maintenance_window")
    op.drop_table("maintenance_window")
