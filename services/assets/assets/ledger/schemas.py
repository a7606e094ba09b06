from datetime import date, datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from opsdesk_shared.contracts.vocabulary import AssetClass, AssetStatus, Criticality

# `JZZ-CY-0042`: letters, digits and dashes, upper case (typed in lower case on a phone, kept upper).
AssetTag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, min_length=2, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
    ),
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class AssetFields(BaseModel):
    """The ledger's fields a person writes (the status has its own route: it is a step with a reason)."""

    model_config = ConfigDict(extra="forbid")

    asset_class: AssetClass
    name: Short | None = None
    security_zone: Short
    owning_system: Short
    unit_id: UUID
    site: Short
    room: Short | None = None
    rack: Short | None = None
    maker: Short | None = None
    model: Short | None = None
    serial_number: Short | None = None
    commissioned_on: date | None = None
    warranty_until: date | None = None
    criticality: Criticality = Criticality.NORMAL
    custodian: Short | None = None
    notes: Note | None = None

    @model_validator(mode="after")
    def _warranty_after_commissioning(self) -> Self:
        if self.commissioned_on and self.warranty_until and self.warranty_until < self.commissioned_on:
            raise ValueError("warranty_until is before commissioned_on")
        return self


class AssetCreate(AssetFields):
    tag: AssetTag
    status: AssetStatus = AssetStatus.IN_SERVICE
    # Registered as off site (it is away now): the approval that let it leave, as for a status change.
    approval_ref: Short | None = None


class AssetPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset_class: AssetClass | None = None
    name: Short | None = None
    security_zone: Short | None = None
    owning_system: Short | None = None
    unit_id: UUID | None = None
    site: Short | None = None
    room: Short | None = None
    rack: Short | None = None
    maker: Short | None = None
    model: Short | None = None
    serial_number: Short | None = None
    commissioned_on: date | None = None
    warranty_until: date | None = None
    criticality: Criticality | None = None
    custodian: Short | None = None
    notes: Note | None = None


# Fields that may not be emptied once given.
REQUIRED_FIELDS = frozenset({"asset_class", "security_zone", "owning_system", "unit_id", "site", "criticality"})


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AssetStatus
    reason: Note | None = None
    # Off the premises only with a recorded approval (SPEC §2): its reference (a removal request, a letter).
    approval_ref: Short | None = None


class AssetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tag: str
    asset_class: AssetClass
    name: str | None
    security_zone: str
    owning_system: str
    unit_id: UUID
    unit_code: str | None = None
    unit_name: str | None = None
    site: str
    room: str | None
    rack: str | None
    maker: str | None
    model: str | None
    serial_number: str | None
    commissioned_on: date | None
    warranty_until: date | None
    criticality: Criticality
    status: AssetStatus
    custodian: str | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class StatusChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: AssetStatus | None
    to_status: AssetStatus
    reason: str | None
    approval_ref: str | None
    changed_at: datetime
    changed_by: UUID | None
    changed_by_name: str | None


class AssetDetail(AssetOut):
    status_history: list[StatusChangeOut] = []


class AssetPage(BaseModel):
    items: list[AssetOut]
    total: int
    page: int
    limit: int


class AssetFilter(BaseModel):
    """Any field of the ledger; `unit_id` takes the unit's whole subtree; `q` is a substring of any text."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    tag: str | None = None
    asset_class: list[AssetClass] | None = None
    status: list[AssetStatus] | None = None
    criticality: list[Criticality] | None = None
    security_zone: str | None = None
    owning_system: str | None = None
    unit_id: UUID | None = None
    site: str | None = None
    room: str | None = None
    rack: str | None = None
    maker: str | None = None
    model: str | None = None
    serial_number: str | None = None
    custodian: str | None = None
    commissioned_from: date | None = None
    commissioned_to: date | None = None
    warranty_until_before: date | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    limit: int = Field(default=50, ge=1, le=500)


class LabelFilter(AssetFilter):
    """The ledger's filter, for a sheet of labels (a site's, a room's…): every match up to `limit`, not a page."""

    # One A4 sheet unless asked for more (the console asks for what its filter found), 40 at most: a label
    # takes some 15 ms to draw, so 40 sheets about 15 s.
    limit: int = Field(default=24, ge=1, le=960)


class ImportRowError(BaseModel):
    row: int  # as the spreadsheet numbers it (the header is row 1)
    field: str
    message: str


class ImportResult(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
