"""training sessions (materials, attendance with feedback), user visits (plans, visits, hidden risks), and
the gateway's people by name

Revision ID: assets_0007
Revises: assets_0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "assets_0007"
down_revision = "assets_0008"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def _kept() -> list[sa.Column]:  # type: ignore[type-arg]  # sa.Column's parameter is the column's type
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", UUID, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", UUID, nullable=False),
    ]


def upgrade() -> None:
    # The gateway's people by name (from user.* events), for attendee lists and visit records.
    op.create_table(
        "directory_person",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("unit_id", UUID),
        sa.Column("applied_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "training_session",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("trainer", sa.Text, nullable=False),
        sa.Column("place", sa.Text, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("audience_unit_ids", pg.ARRAY(UUID), nullable=False),
        sa.Column("request_ticket", sa.Text),
        sa.Column("cancelled", sa.Boolean, nullable=False, server_default="false"),
        *_kept(),
    )
    op.create_index("ix_training_session_starts_at", "training_session", ["starts_at"])
    op.create_index(
        "ix_training_session_audience_unit_ids", "training_session", ["audience_unit_ids"], postgresql_using="gin"
    )
    op.create_table(
        "training_material",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("session_id", UUID, sa.ForeignKey("training_session.id"), nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("uploaded_by", UUID, nullable=False),
    )
    op.create_index("ix_training_material_session_id", "training_material", ["session_id"])
    op.create_table(
        "training_attendance",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("session_id", UUID, sa.ForeignKey("training_session.id"), nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("unit_id", UUID),
        sa.Column("unit_name", sa.Text),
        sa.Column("signed_in_at", TS, nullable=False),
        sa.Column("rating", sa.Integer),
        sa.Column("comment", sa.Text),
        sa.Column("rated_at", TS),
        sa.UniqueConstraint("session_id", "user_id", name="training_attendance_session_id_user_id_key"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="training_attendance_rating_range"),
    )
    op.create_index("ix_training_attendance_session_id", "training_attendance", ["session_id"])

    op.create_table(
        "visit_plan",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("unit_kind", sa.Text, nullable=False),
        sa.Column("root_unit_id", UUID),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default="true"),
        *_kept(),
    )
    op.create_table(
        "visit",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("plan_id", UUID, sa.ForeignKey("visit_plan.id")),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("unit_name", sa.Text, nullable=False),
        sa.Column("unit_path", pg.ARRAY(UUID), nullable=False, server_default="{}"),
        sa.Column("due_from", sa.Date, nullable=False),
        sa.Column("due_by", sa.Date, nullable=False),
        sa.Column("scheduled_on", sa.Date),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("visited_at", TS),
        sa.Column("visitor_id", UUID),
        sa.Column("visitor_name", sa.Text),
        sa.Column("companions", sa.Text),
        sa.Column("contact_name", sa.Text),
        sa.Column("contact_phone", sa.Text),  # EncryptedPhone: ciphertext at rest
        sa.Column("usage", sa.Text),
        sa.Column("checked", sa.Text),
        sa.Column("environment", sa.Text),
        sa.Column("proposals", sa.Text),
        sa.Column("satisfaction", sa.Integer),
        sa.Column("satisfaction_comment", sa.Text),
        sa.Column("surveyed_at", TS),
        sa.Column("surveyed_by", UUID),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", UUID),
        sa.UniqueConstraint("plan_id", "unit_id", "due_from", name="visit_plan_id_unit_id_due_from_key"),
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="visit_satisfaction_range"),
    )
    op.create_index("ix_visit_plan_id", "visit", ["plan_id"])
    op.create_index("ix_visit_unit_id", "visit", ["unit_id"])
    op.create_index("ix_visit_due_by", "visit", ["due_by"])
    op.create_index("ix_visit_unit_path", "visit", ["unit_path"], postgresql_using="gin")
    op.create_table(
        "visit_risk",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("visit_id", UUID, sa.ForeignKey("visit.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("raised_at", TS),
        sa.Column("raised_by", UUID),
        sa.Column("ticket_id", UUID),
        sa.Column("ticket_number", sa.Text),
    )
    op.create_index("ix_visit_risk_visit_id", "visit_risk", ["visit_id"])


def downgrade() -> None:
    for table in (
        "visit_risk",
        "visit",
        "visit_plan",
        "training_attendance",
        "training_material",
        "training_session",
        "directory_person",
    ):
        op.drop_table(table)
