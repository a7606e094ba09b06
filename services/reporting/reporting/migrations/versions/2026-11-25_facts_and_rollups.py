"""facts folded from events in any order, per-day rollups the reports read, plans and archived reports

The old one-table projection is dropped: `reporting migrate` rebuilds the new one from `stored_event`.

Revision ID: reporting_0002
Revises: reporting_0001
Create Date: 2026-11-25
"""

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "reporting_0002"
down_revision = "reporting_0001"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def _int(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default="0")


def _num(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Float, nullable=False, server_default="0")


def _tiers(
    kind: str,
    keys: Callable[[], list[sa.Column[Any]]],
    measures: Callable[[], list[sa.Column[Any]]],
    *,
    unit_totals: bool = False,
) -> None:
    """`<kind>_daily` per day and unit, `<kind>_daily_all` per day, `<kind>_monthly` per month (rollups.py).
    `keys` and `measures` make fresh columns for each table (a column belongs to one table)."""
    names = [k.name for k in keys()]
    totals = ["unit_id", *names] if unit_totals else names

    def unit() -> list[sa.Column[Any]]:
        return [sa.Column("unit_id", UUID, nullable=False)] if unit_totals else []

    op.create_table(
        f"{kind}_daily",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
        *keys(),
        *measures(),
        sa.PrimaryKeyConstraint("day", "unit_id", *names),
    )
    op.create_index(f"{kind}_daily_unit_idx", f"{kind}_daily", ["unit_id", "day"])
    op.create_table(
        f"{kind}_daily_all",
        sa.Column("day", sa.Date, nullable=False),
        *unit(),
        *keys(),
        *measures(),
        sa.PrimaryKeyConstraint("day", *totals),
    )
    op.create_table(
        f"{kind}_monthly",
        sa.Column("month", sa.Date, nullable=False),
        *unit(),
        *keys(),
        *measures(),
        sa.PrimaryKeyConstraint("month", *totals),
    )


def _text(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Text, nullable=False)


def upgrade() -> None:
    op.drop_table("ticket_fact")
    op.create_table(
        "ticket_fact",
        sa.Column("ticket_id", UUID, primary_key=True),
        sa.Column("number", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("priority", sa.Text),
        sa.Column("channel", sa.Text),
        sa.Column("unit_id", UUID),
        sa.Column("created_at", TS),
        sa.Column("day", sa.Date),
        sa.Column("status", sa.Text),
        sa.Column("status_changed_at", TS),
        sa.Column("assigned_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("first_arrived_at", TS),
        sa.Column("resolved_at", TS),
        sa.Column("resolved_remote", sa.Boolean),
        sa.Column("closed_at", TS),
        sa.Column("rating", sa.SmallInteger),
        sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ticket_fact_cell_idx", "ticket_fact", ["day", "unit_id"])
    op.create_table(
        "sla_clock_fact",
        sa.Column("ticket_id", UUID, primary_key=True),
        sa.Column("metric", sa.Text, primary_key=True),
        sa.Column("clock_id", UUID),
        sa.Column("started_at", TS),
        sa.Column("due_at", TS),
        sa.Column("breached_at", TS),
        sa.Column("met_at", TS),
        sa.Column("cancelled_at", TS),
    )
    op.execute("CREATE INDEX sla_clock_fact_breached_idx ON sla_clock_fact (breached_at) WHERE breached_at IS NOT NULL")
    op.create_table(
        "cost_fact",
        sa.Column("work_order_id", UUID, primary_key=True),
        sa.Column("ticket_id", UUID, nullable=False),
        sa.Column("ticket_number", sa.Text),
        sa.Column("engineer_name", sa.Text, nullable=False),
        sa.Column("resolved_at", TS, nullable=False),
        sa.Column("remote", sa.Boolean, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("total_cost", sa.Numeric(12, 2), nullable=False),
        sa.Column("cost_borne_by", sa.Text, nullable=False),
    )
    op.create_index("cost_fact_resolved_at_idx", "cost_fact", ["resolved_at"])
    op.create_table(
        "attendance_fact",
        sa.Column("attendance_id", UUID, primary_key=True),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("shift_id", UUID),
        sa.Column("clock_in_at", TS, nullable=False),
        sa.Column("clock_out_at", TS),
    )
    op.create_index("attendance_fact_clock_in_idx", "attendance_fact", ["clock_in_at"])
    op.create_index("attendance_fact_shift_idx", "attendance_fact", ["shift_id"])
    op.create_table(
        "shift_fact",
        sa.Column("shift_id", UUID, primary_key=True),
        sa.Column("post_name", sa.Text, nullable=False),
        sa.Column("user_id", UUID, nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
    )
    op.create_index("shift_fact_starts_idx", "shift_fact", ["starts_at"])
    op.create_table(
        "unit_dim",
        sa.Column("unit_id", UUID, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("path", pg.ARRAY(UUID), nullable=False),
    )
    op.execute("CREATE INDEX unit_dim_path_idx ON unit_dim USING gin (path)")
    _tiers(
        "ticket",
        lambda: [_text("category"), _text("priority"), _text("channel"), _text("status")],
        lambda: [
            *map(_int, ("tickets", "resolved", "first_call_resolved", "reopened", "rated", "rating_sum")),
            *map(_int, ("satisfied", "arrive_n")),
            _num("arrive_sum_s"),
            _int("resolve_n"),
            _num("resolve_sum_s"),
        ],
    )
    _tiers(
        "sla",
        lambda: [_text("category"), _text("priority"), _text("metric"), _text("outcome")],
        lambda: [_int("clocks")],
    )
    _tiers(
        "duration",
        lambda: [
            _text("category"),
            _text("priority"),
            _text("measure"),
            sa.Column("bucket_s", sa.Integer, nullable=False),
        ],
        lambda: [_int("n")],
    )
    _tiers("unit_volume", lambda: [_text("category"), _text("priority")], lambda: [_int("tickets")], unit_totals=True)
    op.create_table(
        "sms_daily",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        _int("messages"),
        _int("segments"),
        sa.PrimaryKeyConstraint("day", "status"),
    )
    op.create_table(
        "call_daily",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        _int("calls"),
        sa.PrimaryKeyConstraint("day", "outcome"),
    )
    op.create_table(
        "weekly_plan",
        sa.Column("week", sa.Text, primary_key=True),
        sa.Column("plan", sa.Text, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "report_archive",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("generated_at", TS, nullable=False),
        sa.UniqueConstraint("kind", "period", "format"),
    )


def downgrade() -> None:
    for table in (
        "report_archive",
        "weekly_plan",
        "call_daily",
        "sms_daily",
        "duration_daily",
        "sla_daily",
        "ticket_daily",
        "unit_dim",
        "attendance_fact",
        "cost_fact",
        "sla_clock_fact",
        "ticket_fact",
    ):
        op.drop_table(table)
    op.create_table(
        "ticket_fact",
        sa.Column("ticket_id", UUID, primary_key=True),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("priority", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("unit_id", UUID, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status_changed_at", TS, nullable=False),
    )
