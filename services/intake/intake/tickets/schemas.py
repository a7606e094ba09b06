"""Intake's API schemas: inputs forbid unknown fields; outputs are what clients may rely on."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from intake.attachments.schemas import AttachmentOut
from opsdesk_shared.contracts.vocabulary import Category, Channel, Level, Priority

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
PhoneInput = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]


Subcategory = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_]{1,29}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{1,39}$")]


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Text200
    description: Text5000
    category: Category
    subcategory: Subcategory | None = Field(None, description="hardware, software, network, data, account…")
    impact: Level | None = None
    urgency: Level | None = None
    priority: Priority | None = Field(
        None, description="defaults to the impact × urgency matrix (P3 without them); differing from it needs a reason"
    )
    priority_reason: Reason | None = None
    unit_id: UUID
    requester_name: Name
    requester_phone: PhoneInput = Field(description="any common format; stored as E.164")
    channel: Channel = Channel.WEB
    asset_tag: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    location: Text200 | None = None
    call_id: UUID | None = Field(
        None,
        description="the hotline call this ticket is filed from (hotline operators): linked in the same transaction, "
        "its outcome new_ticket unless already recorded",
    )


class ReclassifyIn(BaseModel):
    """Staff correct how a ticket was filed; only the fields given change. A priority change needs a reason,
    kept in the timeline."""

    model_config = ConfigDict(extra="forbid")

    unit_id: UUID | None = None
    category: Category | None = None
    subcategory: Subcategory | None = Field(None, description="the kind of work: hardware, software, network…")
    priority: Priority | None = None
    priority_reason: Reason | None = None
    title: Text200 | None = None
    asset_tag: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None


class PriorityOut(BaseModel):
    impact: Level
    urgency: Level
    priority: Priority


class PendingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(description="what is awaited, shown to the requester")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Reason | None = None


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution_code: Code = Field(description="e.g. answered_by_phone, guided_fix, password_reset")
    summary: Text5000


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Annotated[int, Field(ge=1, le=5)] | None = Field(
        None,
        description="the requester's rating, required from them; the desk confirming an inspection or "
        "monitoring ticket (which has no requester) gives none",
    )
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Text5000
    public: bool = Field(
        False,
        description="staff: true replies to the requester (who sees it and may get it by SMS); the default is an "
        "internal note, staff only. A requester's own comment is always public.",
    )


class DuplicateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    of_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = Field(
        description="the number of the ticket that carries on"
    )


class TicketRef(BaseModel):
    id: UUID
    number: str


class CommentOut(BaseModel):
    id: UUID
    author_name: str | None
    body: str
    public: bool
    at: datetime


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
    subcategory: str | None = None
    impact: str | None = None
    urgency: str | None = None
    priority: Priority
    priority_reason: str | None = None
    status: str
    pending_reason: str | None = None
    unit_id: UUID
    requester_name: str
    requester_phone: str
    channel: Channel
    asset_tag: str | None = None
    asset_id: UUID | None = Field(None, description="the ledger asset the tag names")
    asset_unknown: bool = Field(
        False, description="the tag is not in the equipment ledger (inspection and monitoring tickets only)"
    )
    location: str | None = None
    sla_state: str = "on_track"
    engineer_name: str | None = None
    resolution_code: str | None = None
    resolution_summary: str | None = None
    resolved_at: datetime | None = None
    resolved_remotely: bool | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    feedback: str | None = None
    reopen_count: int = 0
    created_at: datetime
    updated_at: datetime


class ContactReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=500)] = Field(
        description="why this person must be reached; kept in the ticket's timeline and the audit log"
    )


class RequesterContact(BaseModel):
    requester_name: str
    requester_phone: str


class TicketDetail(TicketOut):
    timeline: list[TimelineEntry]
    duplicate_of: TicketRef | None = None  # this ticket was closed as a duplicate of that one
    duplicates: list[TicketRef] = []  # tickets closed as duplicates of this one
    comments: list[CommentOut] = []
    attachments: list[AttachmentOut] = []


class TicketPage(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None = None
    next_page: int | None = None
    total: int | None = Field(
        default=None, description="with `sort` (numbered pages): how many tickets the filters match, over every page"
    )


class Backlog(BaseModel):
    total: int
    by_status: dict[str, int]
    by_priority: dict[str, int]
