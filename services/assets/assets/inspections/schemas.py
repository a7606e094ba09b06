from datetime import date, datetime, time
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from assets.inspections.rules import Frequency, ItemKind, RoundStatus
from opsdesk_shared.contracts.vocabulary import AssetClass

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ItemKey = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z][a-z0-9_]{0,59}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ChecklistItem(BaseModel):
    """A yes/no check (yes is normal) or a reading with its normal range and unit."""

    model_config = ConfigDict(extra="forbid")

    key: ItemKey
    label: Name
    kind: ItemKind
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.kind == ItemKind.CHECK and (self.low is not None or self.high is not None or self.unit):
            raise ValueError("a yes/no check has no range or unit")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low is above high")
        return self


def _unique_keys(items: list[ChecklistItem]) -> list[ChecklistItem]:
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys):
        raise ValueError("each item needs its own key")
    return items


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    asset_class: AssetClass
    items: Annotated[list[ChecklistItem], Field(min_length=1, max_length=100)]

    @model_validator(mode="after")
    def _keys(self) -> Self:
        _unique_keys(self.items)
        return self


class TemplatePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    items: Annotated[list[ChecklistItem], Field(min_length=1, max_length=100)] | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _keys(self) -> Self:
        if self.items:
            _unique_keys(self.items)
        return self


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    asset_class: str
    items: list[ChecklistItem]
    active: bool
    version: int
    updated_at: datetime


class Room(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site: Name
    room: Name


class PlanFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: Annotated[int, Field(ge=1, le=7, description="weekly plans: 1 Monday … 7 Sunday")] | None = None
    month_day: Annotated[int, Field(ge=1, le=31, description="monthly plans; a shorter month: its last day")] | None = (
        None
    )
    due_time: time | None = Field(default=None, description="e.g. 10:00; none: by the end of the day (Asia/Shanghai)")
    post_id: UUID | None = None
    post_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    asset_ids: Annotated[list[UUID], Field(max_length=10_000)] = []
    rooms: Annotated[list[Room], Field(max_length=500)] = []


class PlanCreate(PlanFields):
    name: Name
    frequency: Frequency
    starts_on: date | None = Field(default=None, description="today (Asia/Shanghai) when left out")

    @model_validator(mode="after")
    def _shape(self) -> Self:
        check_shape(self.frequency, self.weekday, self.month_day, self.asset_ids, self.rooms)
        return self


def check_shape(
    frequency: Frequency, weekday: int | None, month_day: int | None, asset_ids: list[UUID], rooms: list[Room]
) -> None:
    if frequency == Frequency.WEEKLY and weekday is None:
        raise ValueError("a weekly plan names its weekday")
    if frequency == Frequency.MONTHLY and month_day is None:
        raise ValueError("a monthly plan names its month_day")
    if not asset_ids and not rooms:
        raise ValueError("a plan names assets or rooms to inspect")


class PlanPatch(PlanFields):
    name: Name | None = None
    frequency: Frequency | None = None
    active: bool | None = None
    asset_ids: Annotated[list[UUID], Field(max_length=10_000)] | None = None  # type: ignore[assignment]
    rooms: Annotated[list[Room], Field(max_length=500)] | None = None  # type: ignore[assignment]


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    frequency: Frequency
    weekday: int | None
    month_day: int | None
    due_time: time | None
    post_id: UUID | None
    post_name: str | None
    asset_ids: list[UUID]
    rooms: list[Room]
    starts_on: date
    active: bool
    generated_through: date | None
    version: int


class ItemResult(BaseModel):
    value: bool | float
    abnormal: bool


class StopOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    position: int
    asset_id: UUID
    tag: str
    asset_name: str | None
    asset_class: str
    site: str
    room: str | None
    items: list[ChecklistItem]
    results: dict[str, ItemResult] | None
    note: str | None
    checked_at: datetime | None
    checked_by_name: str | None


class RoundOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    plan_id: UUID
    plan_name: str
    post_id: UUID | None
    post_name: str | None
    day: date
    due_at: datetime
    status: RoundStatus
    completed_at: datetime | None
    completed_by_name: str | None
    missed_at: datetime | None
    stops_total: int = 0
    stops_checked: int = 0
    abnormal_items: int = 0


class RoundDetail(RoundOut):
    stops: list[StopOut]


class StopCheck(BaseModel):
    """An asset of the round checked: each item's result (true/false for a check, a number for a reading)."""

    model_config = ConfigDict(extra="forbid")

    results: dict[str, Any] = {}
    note: Text | None = None


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    round_id: UUID
    asset_id: UUID
    item_key: str
    item_label: str
    reading: Any
    raised_at: datetime
    raised_by_name: str
    ticket_id: UUID | None = Field(None, description="the ticket intake made of it; none until intake has")
    ticket_number: str | None = None
    ticket_opened: bool | None = Field(
        None, description="false: added to the open ticket of an earlier finding of the same asset and item"
    )
