"""create sms messages, their status history and orphan callbacks; outbox and inbox

Revision ID: notifications_0001
Revises:
Create Date: 2026-11-25
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from opsdesk_shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "notifications_0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def ts(name: str, nullable: bool = False) -> "sa.Column[datetime]":
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "sms_message",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("event_id", UUID),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("template", sa.Text),
        sa.Column("ticket_id", UUID),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("segments", sa.Integer, nullable=False),
        sa.Column("encoding", sa.Text, nullable=False),
        sa.Column("provider", sa.Text, nullable=False, server_default="twilio"),
        sa.Column("provider_sid", sa.Text, unique=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("needs_reconcile", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error_code", sa.Text),
        sa.Column("error_message", sa.Text),
        ts("next_attempt_at"),
        ts("lease_until", nullable=True),
        ts("created_at"),
        ts("updated_at"),
        ts("sent_at", nullable=True),
        ts("delivered_at", nullable=True),
    )
    # One event -> at most one SMS per recipient, even under redelivery.
    op.create_index(
        "sms_message_event_recipient_key",
        "sms_message",
        ["event_id", "recipient"],
        unique=True,
        postgresql_where=sa.text("event_id IS NOT NULL"),
    )
    op.create_index("sms_message_ticket_id_idx", "sms_message", ["ticket_id"])
    op.create_index(
        "sms_message_sendable_idx",
        "sms_message",
        ["next_attempt_at"],
        postgresql_where=sa.text("status IN ('queued', 'sending')"),
    )
    op.create_table(
        "sms_status_change",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("message_id", UUID, sa.ForeignKey("sms_message.id"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("detail", sa.Text),
        ts("at"),
    )
    op.create_index("sms_status_change_message_id_idx", "sms_status_change", ["message_id"])
    op.create_table(
        "sms_orphan_callback",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("provider_sid", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error_code", sa.Text),
        ts("at"),
    )
    op.create_index("sms_orphan_callback_provider_sid_idx", "sms_orphan_callback", ["provider_sid"])


def downgrade() -> None:
    for table in ("sms_orphan_callback", "sms_status_change", "sms_message"):
        op.drop_table(table)
    drop_messaging_tables()
