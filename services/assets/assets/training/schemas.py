from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from assets.training.rules import SessionState

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
TicketNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{8}-\d{4,6}$")]


def _times(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: Name
    description: Text | None = None
    trainer: Name
    place: Name
    starts_at: AwareDatetime  # with its offset: a naive time would be compared with stored UTC ones
    ends_at: AwareDatetime
    audience_unit_ids: Annotated[list[UUID], Field(min_length=1, max_length=500)]
    request_ticket: TicketNumber | None = Field(
        default=None, description="the bureau's training request (service_request, kind training) it answers"
    )

    @model_validator(mode="after")
    def _order(self) -> Self:
        _times(self.starts_at, self.ends_at)
        return self


class SessionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: Name | None = None
    description: Text | None = None
    trainer: Name | None = None
    place: Name | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    audience_unit_ids: Annotated[list[UUID], Field(min_length=1, max_length=500)] | None = None
    cancelled: bool | None = None


class MaterialOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    topic: str
    description: str | None
    trainer: str
    place: str
    starts_at: datetime
    ends_at: datetime
    audience_unit_ids: list[UUID]
    request_ticket: str | None
    cancelled: bool
    state: SessionState = SessionState.SCHEDULED
    attendees: int = 0
    mean_rating: float | None = None
    signed_in: bool = Field(default=False, description="whether the caller has signed in")
    version: int


class AttendeeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: UUID
    display_name: str
    unit_id: UUID | None
    unit_name: str | None
    signed_in_at: datetime
    rating: int | None
    comment: str | None


class SessionDetail(SessionOut):
    materials: list[MaterialOut] = []
    attendee_list: list[AttendeeOut] = Field(default=[], description="vendor staff and supervisors only")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Text | None = None
