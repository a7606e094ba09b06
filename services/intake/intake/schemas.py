"""Intake's API schemas: inputs forbid unknown fields; outputs are what clients may rely on."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Category(StrEnum):
    FAULT = "fault"
    CONSULTATION = "consultation"
    SERVICE_REQUEST = "service_request"
    COMPLAINT = "complaint"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


class Channel(StrEnum):
    HOTLINE = "hotline"
    WEB = "web"
    API = "api"
    SMS = "sms"
    INSPECTION = "inspection"


Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
PhoneInput = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text200
    description: Text5000
    category: Category
    priority: Priority = Priority.P3
    unit_id: UUID
    requester_name: Name
    requester_phone: PhoneInput = Field(description="any common format; stored as E.164")
    channel: Channel = Channel.WEB


class TimelineEntry(BaseModel):
    kind: str
    actor_name: str | None
    detail: dict[str, Any]
    at: datetime


class TicketOut(BaseModel):
    id: UUID
    number: str
    title: str
    description: str
    category: Category
    priority: Priority
    status: str
    unit_id: UUID
    requester_name: str
    requester_phone: str
    channel: Channel
    created_at: datetime
    updated_at: datetime


class TicketDetail(TicketOut):
    timeline: list[TimelineEntry]


class TicketPage(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None
