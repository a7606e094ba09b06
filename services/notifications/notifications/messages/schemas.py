"""What the SMS list and a reveal read and return."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class MessageOut(BaseModel):
    id: UUID
    to: str
    body: str
    template: str | None
    ticket_id: UUID | None
    status: str
    segments: int
    encoding: str
    provider_sid: str | None
    provider: str = Field("twilio", description="who carried it: twilio | aliyun")
    attempts: int
    error_code: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None = None  # while queued: not before (quiet hours, rate limit, back-off)
    urgent: bool = False
    masked: bool = Field(
        False,
        description="the number is starred (and a business SMS's text withheld) for this caller; "
        "the security administrator reveals a business SMS with POST /api/sms/messages/{id}/reveal",
    )


class MessagePage(BaseModel):
    items: list[MessageOut]


class RevealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=500)] = Field(
        description="why this citizen's message must be read; kept with the reveal and in the audit log"
    )


class RevealedSms(BaseModel):
    id: UUID
    to: str
    body: str


class ProviderInfo(BaseModel):
    name: str = Field(description="the live SMS provider: twilio | aliyun (OPSDESK_SMS_PROVIDER)")
    sink: bool
    note: str
    templates_only: bool = Field(False, description="the provider sends registered templates only (no free body)")
