"""event order: the version of each ticket, person and unit last applied, and the stale events ignored

Copies made before versions existed keep 0 (`opsdesk_shared/messaging/ordering.py`).

Revision ID: dispatch_0005
Revises: dispatch_0004
"""

import sqlalchemy as sa
from alembic import op

from opsdesk_shared.messaging.tables import create_stale_event_table, drop_stale_event_table

revision = "dispatch_0005"
down_revision = "dispatch_0004"
branch_labels = None
depends_on = None

TABLES = ("dispatch_ticket", "staff_member", "directory_unit")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"))
    create_stale_event_table()


def downgrade() -> None:
    drop_stale_event_table()
    for table in TABLES:
        op.drop_column(table, "applied_version")
