"""SLA API schemas (SPEC §7)."""

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

CategoryOrAny = Literal["fault", "consultation", "service_request", "complaint", "*"]
PriorityOrAny = Literal["P1", "P2", "P3", "P4", "*"]
CalendarName = Literal["24x7", "workdays"]
Target = Annotated[int, Field(ge=60, le=366 * 24 * 3600)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    category: CategoryOrAny = "*"
    priority: PriorityOrAny = "*"
    response_target_s: Target | None = None
    arrival_target_s: Target | None = None
    resolution_target_s: Target | None = None
    calendar: CalendarName = "24x7"
    warn_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.75

    @model_validator(mode="after")
    def _at_least_one_target(self) -> "PolicyIn":
        if not (self.response_target_s or self.arrival_target_s or self.resolution_target_s):
            raise PydanticCustomError(
                "sla.policy_needs_target",
                "a policy needs at least one of response_target_s, arrival_target_s, resolution_target_s",
            )
        return self


class PolicyPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    response_target_s: Target | None = None
    arrival_target_s: Target | None = None
    resolution_target_s: Target | None = None
    calendar: CalendarName | None = None
    warn_ratio: Annotated[float, Field(gt=0, lt=1)] | None = None
    is_active: bool | None = None


class PolicyOut(BaseModel):
    id: UUID
    name: str
    category: str
    priority: str
    response_target_s: int | None
    arrival_target_s: int | None
    resolution_target_s: int | None
    calendar: str
    warn_ratio: float
    is_active: bool


class PauseOut(BaseModel):
    reason: str
    started_at: datetime
    ended_at: datetime | None
    seconds: int | None


class ClockOut(BaseModel):
    id: UUID
    metric: str
    state: str
    calendar: str
    target_s: int
    warn_ratio: float
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    warned_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    paused_at: datetime | None
    paused_seconds: int
    elapsed_seconds: int
    remaining_seconds: int
    pauses: list[PauseOut]


class TicketClocks(BaseModel):
    ticket_id: UUID
    clocks: list[ClockOut]


class CalendarOverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_workday: bool
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class CalendarOverrideOut(BaseModel):
    day: date
    is_workday: bool
    note: str


class CalendarDayOut(BaseModel):
    day: date
    is_workday: bool
    source: Literal["override", "statutory", "weekday_fallback"]


class EscalationOut(BaseModel):
    """A warning or breach as the dispatch board lists it; `acknowledged_*` say which dispatcher saw it, when."""

    id: UUID
    kind: Literal["warning", "breach"]
    clock_id: UUID
    ticket_id: UUID
    ticket_number: str | None
    ticket_title: str | None
    priority: str | None
    metric: str
    due_at: datetime
    fired_at: datetime
    clock_state: str
    acknowledged_at: datetime | None
    acknowledged_by: UUID | None
    acknowledged_by_name: str | None
