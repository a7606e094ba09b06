"""event order: each ticket's version (one more per announced change, carried by its events), the version
of each gateway person and unit last applied, and the stale events ignored

Tickets and copies made before versions existed keep 0 (`opsdesk_shared/messaging/ordering.py`).

Revision ID: intake_0005
Revises: intake_0004
"""

import sqlalchemy as sa
from alembic import op

from opsdesk_shared.messaging.tables import create_stale_event_table, drop_stale_event_table

revision = "intake_0005"
down_revision = "intake_0004"
branch_labels = None
depends_on = None

COPIES = ("known_user", "known_unit")


def upgrade() -> None:
    op.add_column("ticket", sa.Column("version", sa.Integer, nullable=False, server_default="0"))
    for table in COPIES:
        op.add_column(table, sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"))
    create_stale_event_table()


def downgrade() -> None:
    drop_stale_event_table()
    for table in COPIES:
        op.drop_column(table, "applied_version")
    op.drop_column("ticket", "version")
