"""parked_message: dispatch's dead-lettered events, kept in its database (and so in its backups)

Revision ID: dispatch_0004
Revises: dispatch_0003
Create Date: 2026-12-07
"""

from opsdesk_shared.messaging.tables import create_parked_table, drop_parked_table

revision = "dispatch_0004"
down_revision = "dispatch_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_parked_table()


def downgrade() -> None:
    drop_parked_table()
