"""field work: the ticket's location in dispatch's copy; a declined work order no longer counts as live

Revision ID: dispatch_0006
Revises: dispatch_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "dispatch_0006"
down_revision = "dispatch_0005"
branch_labels = None
depends_on = None

INDEX = "work_order_one_active_per_ticket"


def _one_active(finished: str) -> None:
    op.drop_index(INDEX, table_name="work_order")
    op.create_index(
        INDEX, "work_order", ["ticket_id"], unique=True, postgresql_where=sa.text(f"status NOT IN ({finished})")
    )


def upgrade() -> None:
    op.add_column("dispatch_ticket", sa.Column("location", sa.Text, nullable=True))
    _one_active("'resolved', 'cancelled', 'declined'")


def downgrade() -> None:
    _one_active("'resolved', 'cancelled'")
    op.drop_column("dispatch_ticket", "location")
