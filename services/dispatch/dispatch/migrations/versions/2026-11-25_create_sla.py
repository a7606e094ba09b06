"""create SLA policies and clocks, seed the contract's default policies; outbox and inbox

Revision ID: dispatch_0001
Revises:
Create Date: 2026-11-25
"""

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from opsdesk_shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "dispatch_0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    create_messaging_tables()
    policy = op.create_table(
        "sla_policy",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False, server_default="*"),
        sa.Column("priority", sa.Text, nullable=False, server_default="*"),
        sa.Column("response_target_s", sa.Integer),
        sa.Column("arrival_target_s", sa.Integer),
        sa.Column("resolution_target_s", sa.Integer),
        sa.Column("calendar", sa.Text, nullable=False, server_default="24x7"),
        sa.Column("warn_ratio", sa.Float, nullable=False, server_default="0.75"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "sla_clock",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, nullable=False),
        sa.Column("policy_id", UUID, sa.ForeignKey("sla_policy.id"), nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("calendar", sa.Text, nullable=False),
        sa.Column("target_s", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("warned_at", sa.DateTime(timezone=True)),
        sa.Column("breached_at", sa.DateTime(timezone=True)),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
        sa.Column("paused_seconds", sa.Integer, nullable=False, server_default="0"),
        sa.UniqueConstraint("ticket_id", "metric", name="sla_clock_ticket_id_metric_key"),
    )
    op.create_index("sla_clock_ticket_id_idx", "sla_clock", ["ticket_id"])
    # The timer's index: only running clocks, by the next instant anything is due.
    op.create_index("sla_clock_running_due_idx", "sla_clock", ["due_at"], postgresql_where=sa.text("state = 'running'"))
    # The contract's defaults (SPEC §2, §5): faults on site in 2 h, fixed in 4 h, around the clock.
    op.bulk_insert(
        policy,
        [
            {
                "id": uuid.UUID("00000000-0000-4000-8000-000000000001"),
                "name": "合同故障响应 (默认)",
                "category": "fault",
                "priority": "*",
                "response_target_s": 900,
                "arrival_target_s": 7200,
                "resolution_target_s": 14400,
                "calendar": "24x7",
                "warn_ratio": 0.75,
                "is_active": True,
            },
            {
                "id": uuid.UUID("00000000-0000-4000-8000-000000000002"),
                "name": "一般服务请求 (默认)",
                "category": "*",
                "priority": "*",
                "response_target_s": 1800,
                "arrival_target_s": None,
                "resolution_target_s": 86400,
                "calendar": "24x7",
                "warn_ratio": 0.75,
                "is_active": True,
            },
        ],
    )


def downgrade() -> None:
    op.drop_table("sla_clock")
    op.drop_table("sla_policy")
    drop_messaging_tables()
