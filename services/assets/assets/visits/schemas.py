from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from assets.visits.rules import Period, Standing, VisitStatus

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]


class VisitedKind(StrEnum):
    """The kinds of unit a plan visits (the bureau itself and the vendor are not visited)."""

    SUB_BUREAU = "sub_bureau"
    POLICE_STATION = "police_station"
    FLOATING_STATION = "floating_station"


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    unit_kind: VisitedKind
    root_unit_id: UUID | None = Field(default=None, description="only units within this subtree; all when left out")
    period: Period
    starts_on: date | None = Field(default=None, description="today (Asia/Shanghai) when left out")


class PlanPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    active: bool | None = None


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    unit_kind: str
    root_unit_id: UUID | None
    period: Period
    starts_on: date
    active: bool
    version: int


class VisitCreate(BaseModel):
    """A visit arranged on its own (outside any plan), e.g. after repeated faults at a station."""

    model_config = ConfigDict(extra="forbid")

    unit_id: UUID
    scheduled_on: date
    due_by: date | None = Field(default=None, description="the scheduled day when left out")


class RiskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Text


class VisitRecord(BaseModel):
    """What the visit found: who visited (the caller, with companions), whom they met, what was checked."""

    model_config = ConfigDict(extra="forbid")

    visited_at: datetime | None = Field(default=None, description="now when left out")
    companions: Name | None = None
    contact_name: Name
    contact_phone: Phone
    usage: Text | None = Field(default=None, description="how the unit uses the system")
    checked: Text
    environment: Text | None = None
    risks: Annotated[list[RiskIn], Field(max_length=50)] = []
    proposals: Text | None = None


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    satisfaction: Annotated[int, Field(ge=1, le=5)]
    comment: Text | None = None


class RiskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    description: str
    raised_at: datetime | None
    ticket_id: UUID | None
    ticket_number: str | None
    measure_id: UUID | None = None  # the improvement measure it was proposed as, if any


class VisitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    plan_id: UUID | None
    unit_id: UUID
    unit_name: str
    due_from: date
    due_by: date
    scheduled_on: date | None
    status: VisitStatus
    standing: Standing = Standing.DUE
    visited_at: datetime | None
    visitor_name: str | None
    satisfaction: int | None
    risks_found: int = 0
    version: int


class VisitDetail(VisitOut):
    companions: str | None
    contact_name: str | None
    contact_phone: str | None
    usage: str | None
    checked: str | None
    environment: str | None
    proposals: str | None
    satisfaction_comment: str | None
    risks: list[RiskOut] = []
