"""attendance by person: a shift counts as attended when its person's clock-in overlaps it, so both facts
are looked up by person and time

Revision ID: reporting_0006
Revises: reporting_0005
Create Date: 2026-12-07
"""

from alembic import op

revision = "reporting_0006"
down_revision = "reporting_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("attendance_fact_user_idx", "attendance_fact", ["user_id", "clock_in_at"])
    op.create_index("shift_fact_user_idx", "shift_fact", ["user_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("shift_fact_user_idx", "shift_fact")
    op.drop_index("attendance_fact_user_idx", "attendance_fact")
