"""sla_escalation: every warning and breach fired, until a dispatcher acknowledges it (who and when)

Escalations fired before this table existed are taken from the clocks: a breach for each breached clock
not cancelled, a warning for each warned clock still running or paused.

Revision ID: dispatch_0007
Revises: dispatch_0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "dispatch_0007"
down_revision = "dispatch_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sla_escalation",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("clock_id", pg.UUID(as_uuid=True), sa.ForeignKey("sla_clock.id"), nullable=False, index=True),
        sa.Column("ticket_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by", pg.UUID(as_uuid=True)),
        sa.Column("acknowledged_by_name", sa.Text),
        sa.UniqueConstraint("clock_id", "kind"),
        sa.CheckConstraint("kind IN ('warning', 'breach')", name="sla_escalation_kind"),
    )
    # The open list reads only what nobody acknowledged yet.
    op.create_index(
        "ix_sla_escalation_open", "sla_escalation", ["fired_at"], postgresql_where=sa.text("acknowledged_at IS NULL")
    )
    op.execute(
        """
        INSERT INTO sla_escalation (id, clock_id, ticket_id, kind, fired_at)
        SELECT gen_random_uuid(), id, ticket_id, 'breach', breached_at FROM sla_clock
         WHERE breached_at IS NOT NULL AND state <> 'cancelled'
        UNION ALL
        SELECT gen_random_uuid(), id, ticket_id, 'warning', warned_at FROM sla_clock
         WHERE warned_at IS NOT NULL AND breached_at IS NULL AND state IN ('running', 'paused')
        """
    )


def downgrade() -> None:
    op.drop_table("sla_escalation")
