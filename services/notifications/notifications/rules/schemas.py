"""Templates and rules as the admin API reads and writes them."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


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
