"""training sessions with their attendees and ratings, and user visits with the hidden risks they found

Revision ID: reporting_0013
Revises: reporting_0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "reporting_0013"
down_revision = "reporting_0011"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "training_session_fact",
        sa.Column("session_id", UUID, primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("trainer", sa.Text, nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("audience_unit_ids", pg.ARRAY(UUID), nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("materials", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_training_session_fact_starts_at", "training_session_fact", ["starts_at"])
    # A rating may arrive before its sign-in (any order): the row is made by whichever comes first.
    op.create_table(
        "training_attendance_fact",
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("display_name", sa.Text),
        sa.Column("unit_id", UUID),
        sa.Column("signed_in_at", TS),
        sa.Column("rating", sa.Integer),
        sa.Column("rated_at", TS),
        sa.PrimaryKeyConstraint("session_id", "user_id"),
    )
    op.create_table(
        "visit_fact",
        sa.Column("visit_id", UUID, primary_key=True),
        sa.Column("plan_id", UUID),
        sa.Column("unit_id", UUID, nullable=False),
        # Nullable: a survey arriving before the visit's other events makes the row with what it knows.
        sa.Column("unit_name", sa.Text),
        sa.Column("due_from", sa.Date),
        sa.Column("due_by", sa.Date),
        sa.Column("visited_at", TS),
        sa.Column("visitor_name", sa.Text),
        sa.Column("satisfaction", sa.Integer),
        sa.Column("surveyed_at", TS),
    )
    op.create_index("ix_visit_fact_due_by", "visit_fact", ["due_by"])
    op.create_table(
        "visit_risk_fact",
        sa.Column("risk_id", UUID, primary_key=True),
        sa.Column("visit_id", UUID, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("ticket_id", UUID),
        sa.Column("ticket_number", sa.Text),
    )
    op.create_index("ix_visit_risk_fact_visit_id", "visit_risk_fact", ["visit_id"])


def downgrade() -> None:
    for table in ("visit_risk_fact", "visit_fact", "training_attendance_fact", "training_session_fact"):
        op.drop_table(table)
