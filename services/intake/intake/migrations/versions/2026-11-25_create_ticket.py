"""create ticket, its timeline and number counter; outbox and inbox

Revision ID: intake_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from opsdesk_shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "intake_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "ticket",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("number", sa.Text, nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("unit_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("requester_name", sa.Text, nullable=False),
        sa.Column("requester_phone", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ticket_status_idx", "ticket", ["status"])
    op.create_index("ticket_unit_id_idx", "ticket", ["unit_id"])
    op.create_index("ticket_requester_phone_idx", "ticket", ["requester_phone"])
    op.create_index("ticket_created_at_idx", "ticket", ["created_at", "id"])
    op.create_table(
        "ticket_event",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ticket_id", pg.UUID(as_uuid=True), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("actor_id", pg.UUID(as_uuid=True)),
        sa.Column("actor_name", sa.Text),
        sa.Column("detail", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ticket_event_ticket_id_idx", "ticket_event", ["ticket_id"])
    op.create_table(
        "ticket_number_counter",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_number_counter")
    op.drop_table("ticket_event")
    op.drop_table("ticket")
    drop_messaging_tables()
