"""project_manager_role: the project manager is the gateway's `project_manager` role now, not dispatch's flag

Escalation reads the role from dispatch's copy of the gateway's users (`staff_member.roles`). The flag's
holders who do not hold the role yet are kept in `project_manager_handover`, so the one-time step can grant
it to them in the gateway (`python -m dispatch project-manager-handover` lists them; README, "Project
manager"); then the flag goes.

Revision ID: dispatch_0011
Revises: dispatch_0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "dispatch_0011"
down_revision = "dispatch_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project_manager_handover",
        sa.Column("user_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.execute(
        "INSERT INTO project_manager_handover (user_id, username, display_name) "
        "SELECT user_id, username, display_name FROM staff_member "
        "WHERE is_project_manager AND NOT ('project_manager' = ANY(roles))"
    )
    op.drop_column("staff_member", "is_project_manager")


def downgrade() -> None:
    op.add_column(
        "staff_member", sa.Column("is_project_manager", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.execute(
        "UPDATE staff_member SET is_project_manager = true "
        "WHERE 'project_manager' = ANY(roles) OR user_id IN (SELECT user_id FROM project_manager_handover)"
    )
    op.drop_table("project_manager_handover")
