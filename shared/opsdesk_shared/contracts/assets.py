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
