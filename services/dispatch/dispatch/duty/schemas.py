from datetime import date, datetime, time
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_-]{1,40}$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    pattern: Literal["5x8", "7x8", "7x24"]
    starts: time
    ends: time


class PostOut(BaseModel):
    id: UUID
    code: str
    name: str
    pattern: str
    starts: time
    ends: time


class ShiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post_id: UUID
    user_id: UUID
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _aware(self) -> "ShiftIn":
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise PydanticCustomError(
                "validation.timezone_required", "times need a UTC offset, e.g. 2026-11-25T09:00:00+08:00"
            )
        return self


class ShiftOut(BaseModel):
    id: UUID
    post_id: UUID
    user_id: UUID
    starts_at: datetime
    ends_at: datetime


class AttendanceOut(BaseModel):
    id: UUID
    user_id: UUID
    shift_id: UUID | None
    clock_in_at: datetime
    clock_out_at: datetime | None


class RosterIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    user_ids: Annotated[list[UUID], Field(min_length=1, max_length=50)]
    from_: date = Field(alias="from")
    to: date


class MyShiftOut(BaseModel):
    post_name: str
    starts_at: datetime
    ends_at: datetime


class MyDutyOut(BaseModel):
    """The caller's own duty: whether they count as on duty now, their open clock-in, and their shift now
    or next (within a week)."""

    on_duty: bool
    clocked_in_at: datetime | None
    shift: MyShiftOut | None


class DutyPersonOut(BaseModel):
    """Someone a roster may name: their duty roles decide which posts they suit (operators the hotline)."""

    user_id: UUID
    display_name: str
    roles: list[str]
