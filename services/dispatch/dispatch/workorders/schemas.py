"""Work-order API schemas: inputs forbid unknown fields; money is a decimal with two places."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from opsdesk_shared.contracts.vocabulary import PART_NUMBER_PATTERN

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignIn(Strict):
    ticket_id: UUID
    engineer_id: UUID
    note: Reason | None = None


class ReassignIn(Strict):
    engineer_id: UUID
    reason: Reason


class CancelIn(Strict):
    reason: Reason


class DeclineIn(Strict):
    """The engineer turns a job down (sick, out of district…): the reason goes to the dispatcher."""

    reason: Reason


class StepIn(Strict):
    """accept / depart / arrive: an optional note."""

    note: Reason | None = None


PartNumber = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=PART_NUMBER_PATTERN)]


class PartIn(Strict):
    name: ShortText
    quantity: Annotated[int, Field(ge=1, le=100_000)]
    unit_cost: Money
    part_number: PartNumber | None = Field(
        None, description="the spare-parts catalogue's number (备件编号) when the part came from stock"
    )


class ResolveIn(Strict):
    resolution_code: Code = Field(description="e.g. replaced_part, reconfigured, software_fix, no_fault_found")
    summary: Note
    remote: bool = Field(False, description="resolved without a site visit; cancels the arrival clock")
    parts: Annotated[list[PartIn], Field(max_length=200)] = []
    media_replaced: bool = Field(
        False, description="storage media were replaced: their custody must be recorded before resolving"
    )


class WorkLogIn(Strict):
    note: Note
    minutes: Annotated[int, Field(ge=0, le=24 * 60)] | None = None


class MediaCustodyIn(Strict):
    serial: ShortText
    description: ShortText
    handed_to: ShortText = Field(description="the bureau's person who took the medium")
    handed_at: datetime | None = None


class RemovalIn(Strict):
    asset: ShortText
    reason: Reason


class RemovalDecisionIn(Strict):
    approve: bool
    note: Reason | None = None


class PartOut(BaseModel):
    id: UUID
    part_number: str | None = None
    name: str
    quantity: int
    unit_cost: Decimal
    recorded_by: UUID
    at: datetime


class StepOut(BaseModel):
    action: str
    from_status: str | None
    to_status: str
    actor_id: UUID | None
    engineer_id: UUID | None
    reason: str | None
    at: datetime


class WorkLogOut(BaseModel):
    id: UUID
    author_id: UUID
    note: str
    minutes: int | None
    at: datetime


class MediaCustodyOut(BaseModel):
    id: UUID
    serial: str
    description: str
    handed_to: str
    handed_by: UUID
    handed_at: datetime


class RemovalOut(BaseModel):
    id: UUID
    asset: str
    reason: str
    requested_by: UUID
    requested_at: datetime
    status: str
    decided_by: UUID | None
    decided_at: datetime | None
    decision_note: str | None


class WorkOrderOut(BaseModel):
    id: UUID
    ticket_id: UUID
    ticket_number: str | None = None
    ticket_title: str | None = None  # so an engineer's list says what each job is
    ticket_priority: str | None = None
    engineer_id: UUID
    engineer_name: str | None = None
    unit_id: UUID | None = None
    unit_name: str | None = None
    location: str | None = None
    arrival_due_at: datetime | None = None  # the SLA clocks' deadlines, so the engineer sees what is due when
    resolution_due_at: datetime | None = None
    status: str
    assigned_by: UUID | None
    assigned_at: datetime
    accepted_at: datetime | None
    departed_at: datetime | None
    arrived_at: datetime | None
    resolved_at: datetime | None
    remote: bool | None
    resolution_code: str | None
    summary: str | None
    total_cost: Decimal
    cost_borne_by: str | None


class WorkOrderDetail(WorkOrderOut):
    steps: list[StepOut]
    work_log: list[WorkLogOut]
    parts: list[PartOut]
    media: list[MediaCustodyOut]
    removals: list[RemovalOut]


class WorkOrderPage(BaseModel):
    items: list[WorkOrderOut]
