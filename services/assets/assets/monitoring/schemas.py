"""What the monitoring receiver accepts and answers: Alertmanager's webhook payload (version 4), the generic
JSON webhook (for Zabbix or any engine: deploy/monitoring/zabbix/), rules and maintenance windows."""

import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from assets.monitoring.rules import MatchOp
from opsdesk_shared.contracts.vocabulary import Category, Priority

Label = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]{0,99}$")]
LabelValue = Annotated[str, StringConstraints(max_length=1000)]
Fingerprint = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=8000)]
MAX_ALERTS = 5000


class AlertmanagerAlert(BaseModel):
    # Alertmanager adds fields over releases; unknown ones are ignored, the ones used are checked.
    status: Literal["firing", "resolved"]
    labels: dict[Label, LabelValue]
    annotations: dict[Label, LongText] = {}
    startsAt: AwareDatetime  # noqa: N815 - Alertmanager's names
    endsAt: datetime | None = None  # noqa: N815 - "0001-01-01T00:00:00Z" while firing
    generatorURL: Annotated[str, StringConstraints(max_length=2000)] = ""  # noqa: N815
    fingerprint: Fingerprint


class AlertmanagerNotification(BaseModel):
    """Alertmanager's webhook_config payload, version 4 (prometheus.io/docs/alerting/latest/configuration)."""

    version: Literal["4"]
    groupKey: Annotated[str, StringConstraints(max_length=2000)] = ""  # noqa: N815
    truncatedAlerts: int = 0  # noqa: N815
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = {}  # noqa: N815
    commonLabels: dict[str, str] = {}  # noqa: N815
    commonAnnotations: dict[str, str] = {}  # noqa: N815
    externalURL: str = ""  # noqa: N815
    alerts: Annotated[list[AlertmanagerAlert], Field(min_length=1, max_length=MAX_ALERTS)]


class GenericEvent(BaseModel):
    """One event of any monitoring engine: `key` names the problem within `source` (a Zabbix event id, a
    check name); the same source and key firing, resolving and firing again is one alert's life."""

    model_config = ConfigDict(extra="forbid")

    source: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_.-]{0,49}$")]
    key: Fingerprint
    status: Literal["firing", "resolved"]
    severity: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=30)] | None = None
    asset_tag: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None  # a unit code
    summary: Text
    details: LongText | None = None
    url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    time: AwareDatetime = Field(description="when the problem began (firing) or ended (resolved)")
    # When a resolved event's problem began; without it, the firing the receiver recorded.
    started_at: AwareDatetime | None = None
    availability: bool = False
    labels: dict[Label, LabelValue] = {}


class Receipt(BaseModel):
    """What one delivery did: alerts in it, changes recorded (a firing or a recovery), resends ignored."""

    alerts: int
    changes: int
    repeats: int
    stale: int


class MatcherIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Label
    op: MatchOp = MatchOp.EQUAL
    value: LabelValue

    @model_validator(mode="after")
    def regex_compiles(self) -> "MatcherIn":
        if self.op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from exc
        return self


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text
    position: int = Field(ge=0, le=100_000)
    matchers: Annotated[list[MatcherIn], Field(max_length=20)] = []
    opens_tickets: bool = True
    severity_priority: dict[Annotated[str, StringConstraints(to_lower=True, max_length=30)], Priority] = {}
    default_priority: Priority = Priority.P3
    auto_resolve: bool = False
    reopen_window_s: int = Field(default=3600, ge=0, le=30 * 86400)
    category: Category = Category.FAULT
    kind_of_work: Annotated[str, StringConstraints(max_length=50)] | None = None
    group_storms: bool = True
    availability: bool = False


class RulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text | None = None
    position: int | None = Field(default=None, ge=0, le=100_000)
    matchers: Annotated[list[MatcherIn], Field(max_length=20)] | None = None
    opens_tickets: bool | None = None
    severity_priority: dict[Annotated[str, StringConstraints(to_lower=True, max_length=30)], Priority] | None = None
    default_priority: Priority | None = None
    auto_resolve: bool | None = None
    reopen_window_s: int | None = Field(default=None, ge=0, le=30 * 86400)
    category: Category | None = None
    kind_of_work: Annotated[str, StringConstraints(max_length=50)] | None = None
    group_storms: bool | None = None
    availability: bool | None = None


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    position: int
    matchers: list[dict[str, str]]
    opens_tickets: bool
    severity_priority: dict[str, str]
    default_priority: str
    auto_resolve: bool
    reopen_window_s: int
    category: str
    kind_of_work: str | None
    group_storms: bool
    availability: bool
    updated_at: datetime


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset_tag: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    unit_id: UUID | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Text

    @model_validator(mode="after")
    def one_target_and_a_span(self) -> "WindowIn":
        if (self.asset_tag is None) == (self.unit_id is None):
            raise ValueError("name either asset_tag or unit_id")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class WindowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    asset_tag: str | None
    unit_id: UUID | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_at: datetime


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    source: str
    fingerprint: str
    alertname: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str | None
    asset_tag: str | None
    asset_id: UUID | None
    unit_id: UUID | None
    opens_ticket: bool
    in_maintenance: bool
    availability: bool
    group_lead: str | None
    received_at: datetime
    deliveries: int


class Target(BaseModel):
    """One entry of Prometheus's file-based service discovery."""

    targets: list[str]
    labels: dict[str, str]
