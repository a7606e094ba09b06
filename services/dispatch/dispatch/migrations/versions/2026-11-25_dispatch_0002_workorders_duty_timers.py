"""engineers, units, duty, work orders; SLA pauses, calendar overrides, and the timer's next-fire index

Revision ID: dispatch_0002
Revises: dispatch_0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "dispatch_0002"
down_revision = "dispatch_0001"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(12, 2)


def upgrade() -> None:
    op.create_table(
        "staff_member",
        sa.Column("user_id", UUID, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("phone", sa.Text),
        sa.Column("roles", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("unit_id", UUID),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("skills", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("home_district_id", UUID),
        sa.Column("is_project_manager", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("staff_member_roles_idx", "staff_member", ["roles"], postgresql_using="gin")
    op.create_table(
        "directory_unit",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("parent_id", UUID),
        sa.Column("path", pg.ARRAY(UUID), nullable=False, server_default="{}"),
    )
    op.create_table(
        "duty_post",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("pattern", sa.Text, nullable=False),
        sa.Column("starts", sa.Time, nullable=False),
        sa.Column("ends", sa.Time, nullable=False),
    )
    op.create_table(
        "duty_shift",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("post_id", UUID, sa.ForeignKey("duty_post.id"), nullable=False),
        sa.Column("user_id", UUID, sa.ForeignKey("staff_member.user_id"), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="duty_shift_ends_after_start"),
    )
    op.create_index("duty_shift_user_time_idx", "duty_shift", ["user_id", "starts_at"])
    op.create_table(
        "attendance",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("user_id", UUID, sa.ForeignKey("staff_member.user_id"), nullable=False),
        sa.Column("shift_id", UUID, sa.ForeignKey("duty_shift.id")),
        sa.Column("clock_in_at", TS, nullable=False),
        sa.Column("clock_out_at", TS),
    )
    # At most one open attendance per person: a second clock-in without clocking out is refused.
    op.create_index(
        "attendance_one_open_per_user",
        "attendance",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("clock_out_at IS NULL"),
    )
    op.create_table(
        "dispatch_ticket",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("subcategory", sa.Text),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("asset_tag", sa.Text),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "work_order",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, sa.ForeignKey("dispatch_ticket.id"), nullable=False),
        sa.Column("engineer_id", UUID, sa.ForeignKey("staff_member.user_id"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("assigned_by", UUID),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("accepted_at", TS),
        sa.Column("departed_at", TS),
        sa.Column("arrived_at", TS),
        sa.Column("resolved_at", TS),
        sa.Column("remote", sa.Boolean),
        sa.Column("resolution_code", sa.Text),
        sa.Column("summary", sa.Text),
        sa.Column("total_cost", MONEY, nullable=False, server_default="0"),
        sa.Column("cost_borne_by", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    )
    op.create_index("work_order_ticket_id_idx", "work_order", ["ticket_id"])
    op.create_index("work_order_engineer_id_idx", "work_order", ["engineer_id"])
    op.create_index(
        "work_order_one_active_per_ticket",
        "work_order",
        ["ticket_id"],
        unique=True,
        postgresql_where=sa.text("status NOT IN ('resolved', 'cancelled')"),
    )
    op.create_table(
        "work_order_step",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("work_order_id", UUID, sa.ForeignKey("work_order.id"), nullable=False, index=True),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("actor_id", UUID),
        sa.Column("engineer_id", UUID),
        sa.Column("reason", sa.Text),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "work_log_entry",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("work_order_id", UUID, sa.ForeignKey("work_order.id"), nullable=False, index=True),
        sa.Column("author_id", UUID, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("minutes", sa.Integer),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "work_order_part",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("work_order_id", UUID, sa.ForeignKey("work_order.id"), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_cost", MONEY, nullable=False),
        sa.Column("recorded_by", UUID, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.CheckConstraint("quantity > 0 AND unit_cost >= 0", name="work_order_part_positive"),
    )
    op.create_table(
        "media_custody",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("work_order_id", UUID, sa.ForeignKey("work_order.id"), nullable=False, index=True),
        sa.Column("serial", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("handed_to", sa.Text, nullable=False),
        sa.Column("handed_by", UUID, nullable=False),
        sa.Column("handed_at", TS, nullable=False),
    )
    op.create_table(
        "equipment_removal",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("work_order_id", UUID, sa.ForeignKey("work_order.id"), nullable=False, index=True),
        sa.Column("asset", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_by", UUID, nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="requested"),
        sa.Column("decided_by", UUID),
        sa.Column("decided_at", TS),
        sa.Column("decision_note", sa.Text),
    )

    # SLA: pauses, calendar overrides, and the timer's own column and index.
    op.add_column("sla_clock", sa.Column("warn_ratio", sa.Float, nullable=False, server_default="0.75"))
    op.add_column("sla_clock", sa.Column("paused_at", TS))
    op.add_column("sla_clock", sa.Column("next_fire_at", TS))
    op.execute(
        "UPDATE sla_clock SET next_fire_at = CASE WHEN warned_at IS NULL THEN warn_at "
        "WHEN breached_at IS NULL THEN due_at END WHERE state = 'running'"
    )
    op.drop_index("sla_clock_running_due_idx", table_name="sla_clock")
    # The timer reads only this: the clocks with something still to fire, soonest first.
    op.create_index(
        "sla_clock_next_fire_idx", "sla_clock", ["next_fire_at"], postgresql_where=sa.text("next_fire_at IS NOT NULL")
    )
    # Wake the timers when a clock's next instant is set or moves (e.g. new ticket, resume). NOTIFY is
    # delivered at commit and folded per transaction, so a bulk insert wakes them once.
    op.execute(
        """
        CREATE FUNCTION sla_clock_wake_timer() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.next_fire_at IS NOT NULL THEN
                PERFORM pg_notify('sla_timer', '');
            END IF;
            RETURN NULL;
        END $$;
        """
    )
    op.execute(
        """
        CREATE TRIGGER sla_clock_wake_timer
            AFTER INSERT OR UPDATE OF next_fire_at ON sla_clock
            FOR EACH ROW EXECUTE FUNCTION sla_clock_wake_timer();
        """
    )
    op.create_table(
        "sla_pause",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("clock_id", UUID, sa.ForeignKey("sla_clock.id"), nullable=False, index=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("seconds", sa.Integer),
    )
    op.create_table(
        "calendar_override",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("is_workday", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    for table in ("calendar_override", "sla_pause"):
        op.drop_table(table)
    op.execute("DROP TRIGGER sla_clock_wake_timer ON sla_clock")
    op.execute("DROP FUNCTION sla_clock_wake_timer()")
    op.drop_index("sla_clock_next_fire_idx", table_name="sla_clock")
    op.create_index("sla_clock_running_due_idx", "sla_clock", ["due_at"], postgresql_where=sa.text("state = 'running'"))
    for column in ("next_fire_at", "paused_at", "warn_ratio"):
        op.drop_column("sla_clock", column)
    for table in (
        "equipment_removal",
        "media_custody",
        "work_order_part",
        "work_log_entry",
        "work_order_step",
        "work_order",
        "dispatch_ticket",
        "attendance",
        "duty_shift",
        "duty_post",
        "directory_unit",
        "staff_member",
    ):
        op.drop_table(table)
