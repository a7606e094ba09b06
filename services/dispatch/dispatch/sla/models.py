"""SLA policies, the clocks they start, every pause, and the working-day calendar's overrides."""

from datetime import date, datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.base import Base


class SlaPolicy(Base, kw_only=True):
    """Matches tickets by category and priority; `*` matches any. Most specific match wins."""

    __tablename__ = "sla_policy"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    name: Mapped[str]
    category: Mapped[str] = mapped_column(default="*")
    priority: Mapped[str] = mapped_column(default="*")
    response_target_s: Mapped[int | None] = mapped_column(default=None)
    arrival_target_s: Mapped[int | None] = mapped_column(default=None)
    resolution_target_s: Mapped[int | None] = mapped_column(default=None)
    calendar: Mapped[str] = mapped_column(default="24x7")
    warn_ratio: Mapped[float] = mapped_column(default=0.75)
    is_active: Mapped[bool] = mapped_column(default=True)


class SlaClock(Base, kw_only=True):
    """One metric of one ticket. Instants (`due_at`, `warn_at`) are wall-clock; `target_s` and
    `paused_seconds` are counted in the clock's calendar. `next_fire_at` is what the timer waits for:
    the warning, then the breach, then nothing; NULL while paused or stopped."""

    __tablename__ = "sla_clock"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "metric", name="sla_clock_ticket_id_metric_key"),
        sa.Index("sla_clock_ticket_id_idx", "ticket_id"),
        # The timer's index: the clocks with something still to fire, by when.
        sa.Index("sla_clock_next_fire_idx", "next_fire_at", postgresql_where=sa.text("next_fire_at IS NOT NULL")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    ticket_id: Mapped[UUID]
    policy_id: Mapped[UUID] = mapped_column(sa.ForeignKey("sla_policy.id"))
    metric: Mapped[str]  # response | arrival | resolution
    state: Mapped[str]  # running | paused | met | breached | cancelled
    calendar: Mapped[str]
    target_s: Mapped[int]
    warn_ratio: Mapped[float] = mapped_column(default=0.75)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime]
    warned_at: Mapped[datetime | None] = mapped_column(default=None)
    breached_at: Mapped[datetime | None] = mapped_column(default=None)
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    paused_seconds: Mapped[int] = mapped_column(default=0)
    next_fire_at: Mapped[datetime | None] = mapped_column(default=None)


class SlaPause(Base, kw_only=True):
    __tablename__ = "sla_pause"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    clock_id: Mapped[UUID] = mapped_column(sa.ForeignKey("sla_clock.id"), index=True)
    reason: Mapped[str]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    seconds: Mapped[int | None] = mapped_column(default=None)  # counted in the clock's calendar


class CalendarOverride(Base, kw_only=True):
    """A day whose working status an admin sets by hand: years `chinese-calendar` does not cover yet
    (the State Council publishes next year's holidays each autumn), or a local arrangement."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(default="")


class SlaEscalation(Base, kw_only=True):
    """One warning or breach the timer fired, kept so a console opened afterwards still shows it, until a
    dispatcher acknowledges it (who and when are kept) or it stops mattering (a warning whose clock was met,
    breached or cancelled; a breach whose ticket was cancelled)."""

    __tablename__ = "sla_escalation"
    __table_args__ = (
        sa.UniqueConstraint("clock_id", "kind"),
        # The console's list: the escalations nobody has acknowledged yet.
        sa.Index("ix_sla_escalation_open", "fired_at", postgresql_where=sa.text("acknowledged_at IS NULL")),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    clock_id: Mapped[UUID] = mapped_column(sa.ForeignKey("sla_clock.id"), index=True)
    ticket_id: Mapped[UUID]
    kind: Mapped[str]  # warning | breach
    fired_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[UUID | None] = mapped_column(default=None)
    acknowledged_by_name: Mapped[str | None] = mapped_column(default=None)
