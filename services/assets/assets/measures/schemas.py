from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

from assets.measures.rules import MeasureAction, MeasureState

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class MeasureCreate(BaseModel):
    """A measure proposed from a finding (its round follows), from a round, or freely."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    problem: Text
    proposal: Text
    finding_id: UUID | None = None
    round_id: UUID | None = None


class RiskMeasureIn(BaseModel):
    """A visit's hidden risk proposed as a measure: the title and proposal may be given, else they are taken
    from the risk and the visit's proposals."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    proposal: Text | None = None


class StepTake(BaseModel):
    """A step of the life cycle: `comment` for a review, `planned_on` when planning."""

    model_config = ConfigDict(extra="forbid")

    action: MeasureAction
    comment: Comment | None = None
    planned_on: date | None = None
    version: int | None = None  # the version read: a step over someone else's is refused


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_state: MeasureState | None
    to_state: MeasureState
    comment: str | None
    planned_on: date | None
    at: datetime
    by: UUID
    by_name: str


class MeasureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    problem: str
    proposal: str
    finding_id: UUID | None
    round_id: UUID | None
    visit_id: UUID | None = None
    visit_risk_id: UUID | None = None
    state: MeasureState
    planned_on: date | None
    proposed_at: datetime
    proposed_by: UUID
    proposed_by_name: str
    updated_at: datetime
    version: int


class MeasureDetail(MeasureOut):
    steps: list[StepOut]
    # The steps the caller may take now (the console's buttons).
    actions: list[MeasureAction]
