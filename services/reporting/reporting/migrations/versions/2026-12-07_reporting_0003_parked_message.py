"""parked_message: reporting's dead-lettered events, kept in its database (and so in its backups)

Revision ID: reporting_0003
Revises: reporting_0002
Create Date: 2026-12-07
"""

from opsdesk_shared.messaging.tables import create_parked_table, drop_parked_table

revision = "reporting_0003"
down_revision = "reporting_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_parked_table()


def downgrade() -> None:
    drop_parked_table()
