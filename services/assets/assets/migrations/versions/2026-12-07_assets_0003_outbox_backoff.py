"""outbox_backoff: per-row attempt time and parking of outbox rows (one bad row must not hold the relay)

Rows the broker refuses wait out an exponential back-off of their own and are parked after
OPSDESK_OUTBOX_MAX_ATTEMPTS; the claim's partial index leaves parked rows out (opsdesk_shared.messaging.relay).

Revision ID: assets_0003
Revises: assets_0002
Create Date: 2026-12-07
"""

from opsdesk_shared.messaging.tables import add_outbox_backoff_columns, drop_outbox_backoff_columns

revision = "assets_0003"
down_revision = "assets_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_backoff_columns()


def downgrade() -> None:
    drop_outbox_backoff_columns()
