"""Events produced by the assets service: the equipment ledger (SPEC §2a, §3).

Intake learns the ledger from them (a ticket's asset tag becomes a checked reference), reporting counts
faults per class and zone from them. Each carries the asset's version after the change, so a consumer
keeps the newest whatever order they arrive in (`opsdesk_shared/messaging/ordering.py`).
"""

from datetime import date, datetime
from uuid import UUID

from opsdesk_shared.contracts.envelope import Event


class AssetChanged(Event):
    """The asset as it stands after the change."""

    asset_id: UUID
    tag: str
    asset_class: str  # vocabulary.AssetClass
    name: str | None = None
    security_zone: str
    owning_system: str
    unit_id: UUID
    site: str
    room: str | None = None
    rack: str | None = None
    maker: str | None = None
    model: str | None = None
    serial_number: str | None = None
    commissioned_on: date | None = None
    warranty_until: date | None = None
    criticality: str  # vocabulary.Criticality
    status: str  # vocabulary.AssetStatus
    aggregate_version: int = 0


class AssetRegistered(AssetChanged):
    type = "asset.registered"


class AssetUpdated(AssetChanged):
    type = "asset.updated"
    # The names of the fields this change touched.
    changed: list[str] = []


class AssetStatusChanged(Event):
    type = "asset.status_changed"
    asset_id: UUID
    tag: str
    unit_id: UUID
    asset_class: str
    from_status: str
    to_status: str
    reason: str | None = None
    approval_ref: str | None = None  # off_site: the approval that let it leave the premises
    changed_at: datetime
    changed_by: UUID | None = None
    aggregate_version: int = 0


# Inspections (巡检, SPEC §2a): each day's rounds, walked or missed, and the findings of abnormal items.


class InspectionRoundCompleted(Event):
    type = "inspection.round_completed"
    round_id: UUID
    plan_id: UUID
    plan_name: str
    day: date  # Asia/Shanghai
    due_at: datetime
    post_id: UUID | None = None
    completed_at: datetime
    completed_by: UUID
    completed_by_name: str
    stops: int  # assets checked
    items_checked: int
    abnormal_items: int


class InspectionRoundMissed(Event):
    """A round not completed by its deadline; recorded when a worker sees it, however late."""

    type = "inspection.round_missed"
    round_id: UUID
    plan_id: UUID
    plan_name: str
    day: date
    due_at: datetime
    post_id: UUID | None = None
    post_name: str | None = None
    stops: int
    stops_checked: int  # walked part of the way: what was checked is kept
    recorded_at: datetime


class InspectionFindingRaised(Event):
    """An abnormal item: a check answered no, or a reading out of its normal range. Intake makes it a ticket
    (channel `inspection`, the asset linked, the inspector as reporter)."""

    type = "inspection.finding_raised"
    finding_id: UUID
    round_id: UUID
    asset_id: UUID
    tag: str
    asset_class: str
    unit_id: UUID  # the asset's unit
    site: str
    room: str | None = None
    item_key: str
    item_label: str
    kind: str  # check | reading
    reading: bool | float | None = None
    measure_unit: str | None = None  # °C, %, …
    normal_low: float | None = None
    normal_high: float | None = None
    note: str | None = None
    inspector_id: UUID
    inspector_name: str
    raised_at: datetime


# Improvement measures (改进措施, SPEC §2a): proposed from a finding or a round, reviewed by the vendor's
# project manager before they go to the bureau.


class MeasureReviewed(Event):
    """The project manager's review of a proposed measure: accepted (it goes on to the bureau) or rejected."""

    type = "measure.reviewed"
    measure_id: UUID
    title: str
    outcome: str  # accepted | rejected
    comment: str | None = None
    finding_id: UUID | None = None
    round_id: UUID | None = None
    proposed_by: UUID
    proposed_by_name: str
    reviewed_by: UUID
    reviewed_by_name: str
    reviewed_at: datetime
    aggregate_version: int = 0
