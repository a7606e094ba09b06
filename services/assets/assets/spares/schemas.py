"""Spare-parts API schemas: inputs forbid unknown fields; money is a decimal with two places."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from opsdesk_shared.contracts.vocabulary import PART_NUMBER_PATTERN, AssetClass

PartNumber = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=PART_NUMBER_PATTERN)]
StoreCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$")
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)]
Quantity = Annotated[int, Field(ge=1, le=100_000)]
Minimum = Annotated[int, Field(ge=0, le=100_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartCreate(Strict):
    part_number: PartNumber
    name: Short
    asset_classes: Annotated[list[AssetClass], Field(max_length=20)] = []
    unit_cost: Money
    minimum_stock: Minimum = 0


class PartPatch(Strict):
    name: Short | None = None
    asset_classes: Annotated[list[AssetClass], Field(max_length=20)] | None = None
    unit_cost: Money | None = None
    minimum_stock: Minimum | None = None


class PartOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    part_number: str
    name: str
    asset_classes: list[str]
    unit_cost: Decimal
    minimum_stock: int
    on_hand: int = 0  # all stores
    low: bool = False
    low_since: datetime | None
    version: int


class StoreCreate(Strict):
    code: StoreCode
    name: Short
    site: Short | None = None


class StoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    code: str
    name: str
    site: str | None


class StockOut(BaseModel):
    """One part in one store."""

    part_id: UUID
    part_number: str
    name: str
    store_id: UUID
    store_code: str
    store_name: str
    on_hand: int
    part_on_hand: int  # all stores
    minimum_stock: int
    low: bool


class ReceiptIn(Strict):
    """Goods received into a store."""

    part_number: PartNumber
    store_id: UUID
    quantity: Quantity
    reference: Short | None = Field(None, description="the delivery note or purchase order")
    note: Note | None = None


class IssueIn(Strict):
    """Parts taken from a store for a work order: name the work order by its id or its ticket's number."""

    part_number: PartNumber
    store_id: UUID
    quantity: Quantity
    work_order_id: UUID | None = None
    ticket_number: Short | None = Field(None, description="the ticket's number: its open work order")
    note: Note | None = None


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    part_id: UUID
    part_number: str = ""
    store_id: UUID
    kind: str
    quantity: int
    work_order_id: UUID | None
    reference: str | None
    note: str | None
    actor_id: UUID | None
    actor_name: str | None
    at: datetime
    on_hand_after: int | None = None  # the store's stock after an issue or receipt this request made
    stock_low: bool = False  # this movement took the part below its minimum


class ReconciliationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    work_order_id: UUID
    ticket_number: str | None
    part_number: str | None
    name: str
    used: int
    issued: int
    returned: int
    unissued: int
    outcome: str
    flagged: bool
    reconciled_at: datetime


class ReportRow(BaseModel):
    part_number: str
    name: str
    store_code: str
    store_name: str
    on_hand: int
    part_on_hand: int
    minimum_stock: int
    low: bool
    received: int
    issued: int
    returned: int


class StockReport(BaseModel):
    period_from: date
    period_to: date  # inclusive, Asia/Shanghai
    rows: list[ReportRow]
    flagged: list[ReconciliationOut]


class WorkOrderSpares(BaseModel):
    """A work order as the spare-parts store knows it (from dispatch's events): what was issued to it and, once
    resolved, its reconciliation."""

    work_order_id: UUID
    ticket_number: str | None
    engineer_id: UUID
    engineer_name: str | None
    status: str
    reconciled_at: datetime | None
    movements: list[MovementOut]
    reconciliation: list[ReconciliationOut]
