from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]


class Outcome(StrEnum):
    NEW_TICKET = "new_ticket"
    FOLLOW_UP = "follow_up"
    CONSULTATION_ANSWERED = "consultation_answered"
    TRANSFERRED = "transferred"
    WRONG_NUMBER = "wrong_number"
    MISSED = "missed"
    OTHER = "other"


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    caller_phone: Phone
    started_at: datetime
    ended_at: datetime | None = None
    direction: Literal["inbound", "outbound"] = "inbound"
    outcome: Outcome
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None
    ticket_id: UUID | None = None

    @model_validator(mode="after")
    def _times(self) -> "CallIn":
        if self.started_at.tzinfo is None or (self.ended_at and self.ended_at.tzinfo is None):
            raise PydanticCustomError(
                "validation.timezone_required", "times need a UTC offset, e.g. 2026-11-25T09:00:00+08:00"
            )
        if self.ended_at and self.ended_at < self.started_at:
            raise PydanticCustomError("call.ends_before_start", "ended_at is before started_at")
        return self


class CallOut(BaseModel):
    id: UUID
    cti_call_id: str | None
    caller_phone: str
    direction: str
    state: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    operator_id: UUID | None
    operator_name: str | None
    agent: str | None
    outcome: str | None
    notes: str | None
    ticket_id: UUID | None


class CallPatch(BaseModel):
    """After a CTI call: the operator records what it was about."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome | None = None
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None
    ticket_id: UUID | None = None


class CtiEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: Literal["ringing", "answered", "ended"]
    call_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    caller: Phone
    agent: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        description="the operator's username at the phone that rings"
    )
    at: datetime | None = None


class KnownPerson(BaseModel):
    user_id: UUID
    display_name: str
    unit_id: UUID | None
    roles: list[str]


class CallerTicket(BaseModel):
    id: UUID
    number: str
    title: str
    status: str
    priority: str
    created_at: datetime


class CallerOut(BaseModel):
    phone: str
    known_users: list[KnownPerson]
    calls: list[CallOut]
    open_tickets: list[CallerTicket]
    recent_tickets: list[CallerTicket]
