"""SLA policies, the clocks they start, every pause, and the working-day calendar's overrides."""

from datetime import date, datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class SlaPolicy(SQLModel, table=True):
    """Matches tickets by category and priority; `*` matches any. Most specific match wins."""

    __tablename__ = "sla_policy"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    name: str
    category: str = "*"
    priority: str = "*"
    response_target_s: int | None = None
    arrival_target_s: int | None = None
    resolution_target_s: int | None = None
    calendar: str = "24x7"
    warn_ratio: float = 0.75
    is_active: bool = True


class SlaClock(SQLModel, table=True):
    """One metric of one ticket. Instants (`due_at`, `warn_at`) are wall-clock; `target_s` and
    `paused_seconds` are counted in the clock's calendar. `next_fire_at` is what the timer waits for:
    the warning, then the breach, then nothing; NULL while paused or stopped."""

    __tablename__ = "sla_clock"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "metric"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    ticket_id: UUID = Field(index=True)
    policy_id: UUID = Field(foreign_key="sla_policy.id")
    metric: str  # response | arrival | resolution
    state: str  # running | paused | met | breached | cancelled
    calendar: str
    target_s: int
    warn_ratio: float = 0.75
    started_at: datetime = Field(sa_column=timestamp(nullable=False))
    due_at: datetime = Field(sa_column=timestamp(nullable=False))
    warn_at: datetime = Field(sa_column=timestamp(nullable=False))
    warned_at: datetime | None = Field(default=None, sa_column=timestamp())
    breached_at: datetime | None = Field(default=None, sa_column=timestamp())
    stopped_at: datetime | None = Field(default=None, sa_column=timestamp())
    paused_at: datetime | None = Field(default=None, sa_column=timestamp())
    paused_seconds: int = 0
    next_fire_at: datetime | None = Field(default=None, sa_column=timestamp())


class SlaPause(SQLModel, table=True):
    __tablename__ = "sla_pause"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    clock_id: UUID = Field(foreign_key="sla_clock.id", index=True)
    reason: str
    started_at: datetime = Field(sa_column=timestamp(nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=timestamp())
    seconds: int | None = None  # counted in the clock's calendar


class CalendarOverride(SQLModel, table=True):
    """A day whose working status an admin sets by hand: years `chinese-calendar` does not cover yet
    (the State Council publishes next year's holidays each autumn), or a local arrangement."""

    __tablename__ = "calendar_override"

    day: date = Field(sa_column=sa.Column(sa.Date, primary_key=True))
    is_workday: bool
    note: str = ""


class SlaEscalation(SQLModel, table=True):
    """One warning or breach the timer fired, kept so a console opened afterwards still shows it, until a
    dispatcher acknowledges it (who and when are kept) or it stops mattering (a warning whose clock was met,
    breached or cancelled; a breach whose ticket was cancelled)."""

    __tablename__ = "sla_escalation"
    __table_args__ = (sa.UniqueConstraint("clock_id", "kind"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    clock_id: UUID = Field(foreign_key="sla_clock.id", index=True)
    ticket_id: UUID
    kind: str  # warning | breach
    fired_at: datetime = Field(sa_column=timestamp(nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=timestamp())
    acknowledged_by: UUID | None = None
    acknowledged_by_name: str | None = None
