"""The outbox and inbox tables every service keeps in its own database, and the parked-message table of
every service that consumes events.

Created by each service's migrations through `create_messaging_tables()` and `create_parked_table()`;
queried with plain SQL by the outbox, relay, consumer and parking modules, so no service model has to know
about them.
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


def add_outbox_backoff_columns() -> None:
    """Per-row back-off and parking of outbox rows (relay.py): one migration per service that has an outbox.

    The claim's partial index leaves parked rows out, so a pile of them never slows the claim."""
    op.add_column("outbox_message", sa.Column("next_attempt_at", sa.DateTime(timezone=True)))
    op.add_column("outbox_message", sa.Column("parked_at", sa.DateTime(timezone=True)))
    op.drop_index("outbox_message_unpublished_idx", table_name="outbox_message")
    op.create_index(
        "outbox_message_unpublished_idx",
        "outbox_message",
        ["seq"],
        postgresql_where=sa.text("published_at IS NULL AND parked_at IS NULL"),
    )
    op.create_index(
        "outbox_message_parked_idx",
        "outbox_message",
        ["seq"],
        postgresql_where=sa.text("parked_at IS NOT NULL AND published_at IS NULL"),
    )


def drop_outbox_backoff_columns() -> None:
    op.drop_index("outbox_message_parked_idx", table_name="outbox_message")
    op.drop_index("outbox_message_unpublished_idx", table_name="outbox_message")
    op.create_index(
        "outbox_message_unpublished_idx",
        "outbox_message",
        ["seq"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.drop_column("outbox_message", "parked_at")
    op.drop_column("outbox_message", "next_attempt_at")


def drop_messaging_tables() -> None:
    op.drop_table("inbox_message")
    op.drop_table("outbox_message")


def create_parked_table() -> None:
    """Dead-lettered messages, moved out of `<queue>.dlq` into the consumer's own database (parking.py) so
    that they are in its backups and can be requeued from there."""
    op.create_table(
        "parked_message",
        sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("queue", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text),
        sa.Column("type", sa.Text),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("headers", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("last_error", sa.Text),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        # Set by `requeue-parked` or a restore; the worker then publishes the message to its queue again.
        sa.Column("requeue_requested_at", sa.DateTime(timezone=True)),
        # A redelivery from the dead-letter queue (crash between commit and ack) is parked once.
        sa.UniqueConstraint("queue", "message_id", name="parked_message_queue_message_id_key"),
    )
    op.create_index(
        "parked_message_requeue_idx",
        "parked_message",
        ["seq"],
        postgresql_where=sa.text("requeue_requested_at IS NOT NULL"),
    )


def drop_parked_table() -> None:
    op.drop_table("parked_message")


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
