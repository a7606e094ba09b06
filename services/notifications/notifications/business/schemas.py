"""A `system` client's business SMS requests."""

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

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
