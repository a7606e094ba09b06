"""The outbox and inbox tables every service keeps in its own database.

Created by each service's first migration through `create_messaging_tables()`; queried with plain SQL
by the outbox, relay and consumer modules, so no service model has to know about them.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

OUTBOX_CHANNEL = "opsdesk_outbox"


def create_messaging_tables() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("id", pg.UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("envelope", pg.JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    )
    op.create_index(
        "outbox_message_unpublished_idx",
        "outbox_message",
        ["seq"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "inbox_message",
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("message_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def drop_messaging_tables() -> None:
    op.drop_table("inbox_message")
    op.drop_table("outbox_message")


def create_stale_event_table() -> None:
    """Events that arrived after a newer version of their aggregate was applied (`messaging/ordering.py`)."""
    op.create_table(
        "stale_event",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("message_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("aggregate", sa.Text, nullable=False),
        sa.Column("aggregate_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("event_version", sa.Integer, nullable=False),
        sa.Column("applied_version", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("stale_event_aggregate_idx", "stale_event", ["aggregate", "aggregate_id"])


def drop_stale_event_table() -> None:
    op.drop_table("stale_event")
