"""Events produced by dispatch: work orders and SLA clocks."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel

from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.personal_data import SealedPhone


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


class Recipient(BaseModel):
    """Somebody an escalation must reach; `reason` says why (on_duty_dispatcher, project_manager…)."""

    user_id: UUID
    display_name: str
    phone: SealedPhone | None
    reason: str


class SlaClockEvent(Event):
    """Base of every per-clock event."""

    ticket_id: UUID
    ticket_number: str | None = None
    clock_id: UUID
    metric: str
    due_at: datetime


class SlaDeadline(SlaClockEvent):
    """A clock reached its warning or due instant; `fired_at` - the instant it names is the lateness."""

    fired_at: datetime
    notify_roles: list[str] = []
    recipients: list[Recipient] = []


class SlaWarning(SlaDeadline):
    type = "sla.warning"
    warn_at: datetime


class SlaBreached(SlaDeadline):
    type = "sla.breached"
    breached_at: datetime


class SlaMet(SlaClockEvent):
    type = "sla.met"
    stopped_at: datetime
    elapsed_seconds: int


class SlaPaused(SlaClockEvent):
    type = "sla.paused"
    paused_at: datetime
    reason: str


class SlaResumed(SlaClockEvent):
    type = "sla.resumed"
    resumed_at: datetime
    paused_seconds: int  # this pause's length in the clock's calendar


class SlaRetargeted(SlaClockEvent):
    """The ticket was reclassified under another policy: the clock's target changed from `retargeted_at` on.
    It keeps its start and its paused time; `due_at` is the new due instant (it may be past: the breach then
    fires at once, at that instant). A breach already recorded is never retargeted."""

    type = "sla.retargeted"
    retargeted_at: datetime
    policy_id: UUID
    policy_name: str
    target_s: int


class SlaCancelled(SlaClockEvent):
    type = "sla.cancelled"
    cancelled_at: datetime
    reason: str


class WorkOrderEvent(Event):
    """Base of the work-order events: enough for intake's timeline and notifications' SMS."""

    work_order_id: UUID
    ticket_id: UUID
    ticket_number: str | None = None
    status: str
    engineer_id: UUID
    engineer_name: str
    engineer_phone: SealedPhone | None = None
    actor_id: UUID | None = None
    at: datetime


class WorkOrderAssigned(WorkOrderEvent):
    type = "workorder.assigned"
    expected_arrival_at: datetime | None = None
    unit_name: str | None = None  # where to go, for the engineer's SMS
    location: str | None = None


class WorkOrderReassigned(WorkOrderEvent):
    type = "workorder.reassigned"
    previous_engineer_id: UUID
    reason: str
    expected_arrival_at: datetime | None = None
    unit_name: str | None = None
    location: str | None = None


class WorkOrderAccepted(WorkOrderEvent):
    type = "workorder.accepted"


class WorkOrderDeparted(WorkOrderEvent):
    type = "workorder.departed"


class WorkOrderArrived(WorkOrderEvent):
    type = "workorder.arrived"


class PartUsed(BaseModel):
    """A part recorded on a work order; `part_number` when it is one of the spare-parts catalogue's (assets
    reconciles those against what was issued from stock)."""

    part_number: str | None = None
    name: str
    quantity: int
    unit_cost: Decimal


class WorkOrderResolved(WorkOrderEvent):
    type = "workorder.resolved"
    remote: bool
    resolution_code: str
    summary: str
    total_cost: Decimal
    cost_borne_by: str  # vendor | bureau
    # Every part recorded on the work order, during the work and at resolving. Empty in events written before
    # parts were carried: a consumer cannot tell those from a resolution without parts.
    parts: list[PartUsed] = []


class WorkOrderCancelled(WorkOrderEvent):
    """Also the engineer's decline (`declined`): either way the ticket goes back to the queue."""

    type = "workorder.cancelled"
    reason: str
    declined: bool = False


class AttendanceEvent(Event):
    """Clock-in and clock-out, for the weekly report's staff attendance."""

    attendance_id: UUID
    user_id: UUID
    display_name: str
    shift_id: UUID | None = None
    clock_in_at: datetime
    clock_out_at: datetime | None = None


class AttendanceClockedIn(AttendanceEvent):
    type = "attendance.clocked_in"


class AttendanceClockedOut(AttendanceEvent):
    type = "attendance.clocked_out"


class ShiftScheduled(Event):
    """A duty shift put on the roster: the weekly report sets attendance against it."""

    type = "duty.shift_scheduled"
    shift_id: UUID
    post_id: UUID
    post_name: str
    user_id: UUID
    display_name: str
    starts_at: datetime
    ends_at: datetime
