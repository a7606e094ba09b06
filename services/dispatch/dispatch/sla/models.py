"""SLA policies and the clocks they start (SPEC §5)."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def _ts(**kwargs: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(sa.DateTime(timezone=True), **kwargs)


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
    __tablename__ = "sla_clock"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "metric"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    ticket_id: UUID = Field(index=True)
    policy_id: UUID = Field(foreign_key="sla_policy.id")
    metric: str  # response | arrival | resolution
    state: str  # running | paused | met | breached | cancelled
    calendar: str
    target_s: int
    started_at: datetime = Field(sa_column=_ts(nullable=False))
    due_at: datetime = Field(sa_column=_ts(nullable=False))
    warn_at: datetime = Field(sa_column=_ts(nullable=False))
    warned_at: datetime | None = Field(default=None, sa_column=_ts())
    breached_at: datetime | None = Field(default=None, sa_column=_ts())
    stopped_at: datetime | None = Field(default=None, sa_column=_ts())
    paused_seconds: int = 0
