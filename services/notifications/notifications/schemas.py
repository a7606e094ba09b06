from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError


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


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    trigger: str | None = Field(None, description="the rule trigger whose variables it may use; none: business")
    provider_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = Field(
        None, description="the template code registered with Alibaba Cloud SMS (模板CODE, e.g. SMS_123456789)"
    )
    provider_params: dict[str, str] | None = Field(
        None,
        description="which OpsDesk variable fills each parameter of the Alibaba Cloud template, "
        'e.g. {"number": "number", "name": "engineer_name"}; values over 35 characters are clipped (rules) or '
        "refused (business SMS)",
    )


class TemplateOut(BaseModel):
    code: str
    trigger: str | None
    body: str
    variables: list[str]
    provider_code: str | None = None
    provider_params: dict[str, str] | None = None
    updated_at: datetime


class RuleOut(BaseModel):
    trigger: str
    template_code: str
    enabled: bool
    audience: str
    urgent: bool
    deferrable: bool
    ticket_news: bool = Field(
        description="news about a ticket to a party to it: not held by the per-number hourly limit (that is for "
        "business SMS); merged with the number's other news due within OPSDESK_SMS_MERGE_WINDOW_S"
    )
    variables: list[str]
    description: str


class RulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    template_code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,49}$")] | None = None


class OptOutOut(BaseModel):
    phone: str
    source: str
    at: datetime


Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=32)]
Variables = Annotated[dict[str, Annotated[str, StringConstraints(max_length=200)]], Field(max_length=20)]


class BusinessSms(BaseModel):
    """One business SMS: a template with variables, or a ready body."""

    model_config = ConfigDict(extra="forbid")

    to: Phone
    template: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,49}$")] | None = None
    variables: Variables = {}
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = None
    urgent: bool = Field(False, description="skip quiet hours (not opt-outs)")

    @model_validator(mode="after")
    def _template_or_body(self) -> "BusinessSms":
        if (self.template is None) == (self.body is None):
            raise PydanticCustomError("sms.template_or_body", "give either template (with variables) or body")
        return self


class BatchRecipient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Phone
    variables: Variables = {}


class BusinessBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,49}$")] | None = None
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = None
    messages: Annotated[list[BatchRecipient], Field(min_length=1, max_length=1000)]
    urgent: bool = False

    @model_validator(mode="after")
    def _template_or_body(self) -> "BusinessBatch":
        if (self.template is None) == (self.body is None):
            raise PydanticCustomError(
                "sms.template_or_body", "give either template (with variables per recipient) or body"
            )
        return self


class Accepted(BaseModel):
    ids: list[UUID]
    status: str = "accepted"
