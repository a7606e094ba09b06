"""Events produced by dispatch: work orders and SLA clocks."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from opsdesk_shared.contracts.envelope import Event


class ClockSnapshot(BaseModel):
    metric: str  # response | arrival | resolution
    state: str
    started_at: datetime
    due_at: datetime | None


class SlaStarted(Event):
    type = "sla.started"
    ticket_id: UUID
    policy_id: UUID
    policy_name: str
    clocks: list[ClockSnapshot]


class SlaDeadline(Event):
    """Base of the timer events: a clock reached its warning or due instant."""

    ticket_id: UUID
    clock_id: UUID
    metric: str
    due_at: datetime
    fired_at: datetime
    notify_roles: list[str] = []


class SlaWarning(SlaDeadline):
    type = "sla.warning"
    warn_at: datetime


class SlaBreached(SlaDeadline):
    type = "sla.breached"
