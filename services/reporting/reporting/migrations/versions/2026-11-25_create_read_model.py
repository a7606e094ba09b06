"""create the stored events and the ticket fact table; outbox and inbox

Revision ID: reporting_0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from opsdesk_shared.messaging.tables import create_messaging_tables, drop_messaging_tables

revision = "reporting_0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "stored_event",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("producer", sa.Text, nullable=False),
        sa.Column("envelope", pg.JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("stored_event_type_idx", "stored_event", ["type"])
    op.create_index("stored_event_occurred_at_idx", "stored_event", ["occurred_at"])
    # Finding a ticket's earlier events when its creation arrives late (projections.py).
    op.execute("CREATE INDEX stored_event_ticket_id_idx ON stored_event ((envelope->'data'->>'ticket_id'))")
    op.create_table(
        "ticket_fact",
        sa.Column("ticket_id", UUID, primary_key=True),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ticket_fact_created_at_idx", "ticket_fact", ["created_at"])
    op.create_index("ticket_fact_unit_id_idx", "ticket_fact", ["unit_id"])


def downgrade() -> None:
    op.drop_table("ticket_fact")
    op.drop_table("stored_event")
    drop_messaging_tables()
