from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from assets.inspections.rules import SHANGHAI
from assets.inspections.schemas import FindingOut
from assets.ledger.schemas import AssetDetail
from assets.technical.schemas import TechnicalEntryOut
from opsdesk_shared.contracts.vocabulary import AssetClass


class WorkOrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    work_order_id: UUID
    status: str
    engineer_name: str
    assigned_at: datetime | None
    resolved_at: datetime | None
    resolution_code: str | None
    summary: str | None
    remote: bool | None


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    ticket_id: UUID
    number: str
    title: str | None
    category: str | None
    priority: str | None
    status: str
    channel: str | None
    created_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    work_orders: list[WorkOrderOut] = []


class InspectionOut(BaseModel):
    """One round's stop at this asset: when, by whom, how many items were abnormal."""

    round_id: UUID
    plan_name: str
    day: date
    round_status: str
    checked_at: datetime | None
    checked_by_name: str | None
    items: int
    abnormal_items: int
    note: str | None


class AssetHistory(BaseModel):
    """The asset page: its facts and status changes, and, where the reader may see them, its technical-ledger
    changes, inspections and findings, and its tickets with their work orders. A list the reader may not
    see is None (not empty: nothing is hidden by pretending it does not exist)."""

    asset: AssetDetail
    tickets: list[TicketOut]
    findings: list[FindingOut] | None
    inspections: list[InspectionOut] | None
    technical: list[TechnicalEntryOut] | None


class FaultPeriod(BaseModel):
    """`since` ≤ a ticket's filing < `until`; by default the last 90 days."""

    model_config = ConfigDict(extra="forbid")

    since: datetime | None = None
    until: datetime | None = None
    site: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    limit: int = Field(default=10, ge=1, le=100)

    @field_validator("since", "until")
    @classmethod
    def _local_unless_zoned(cls, value: datetime | None) -> datetime | None:
        """A time given without a zone (`2026-11-01T00:00`) is the bureau's own, Asia/Shanghai."""
        return value.replace(tzinfo=SHANGHAI) if value is not None and value.tzinfo is None else value

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.since and self.until and self.until <= self.since:
            raise ValueError("until must be after since")
        return self


class ClassFaults(BaseModel):
    asset_class: AssetClass
    faults: int  # fault tickets filed in the period on assets of this class
    assets_failed: int  # of which distinct assets
    assets: int  # the class's assets in the ledger (the reader's part of it)


class FailingAsset(BaseModel):
    asset_id: UUID
    tag: str
    name: str | None
    asset_class: AssetClass
    site: str
    room: str | None
    status: str
    faults: int
    open_faults: int
    last_fault_at: datetime


class FaultAnalysis(BaseModel):
    since: datetime
    until: datetime
    faults: int
    per_class: list[ClassFaults]
    top_assets: list[FailingAsset]

    @classmethod
    def empty(cls, since: datetime, until: datetime) -> "FaultAnalysis":
        return cls(since=since, until=until, faults=0, per_class=[], top_assets=[])
