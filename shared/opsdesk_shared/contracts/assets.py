"""Events produced by the assets service: the equipment ledger (SPEC §2a, §3).

Intake learns the ledger from them (a ticket's asset tag becomes a checked reference), reporting counts
faults per class and zone from them. Each carries the asset's version after the change, so a consumer
keeps the newest whatever order they arrive in (`opsdesk_shared/messaging/ordering.py`).
"""

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from opsdesk_shared.contracts.dispatch import Recipient
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.personal_data import SealedPhone


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
    # The technical-ledger facts (技术台帐: addresses, firmware, …) this change recorded. Such a change leaves
    # the asset itself as it was: `changed` is empty and `aggregate_version` the asset's current one, so a
    # consumer keeping the asset's copy finds nothing new (a re-announcement), and one counting the ledger's
    # changes counts it.
    technical: list[str] = []


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


class RoundReading(BaseModel):
    """One item of a completed round as the engineer entered it (part of `inspection.round_completed`, not an
    event of its own): the machine-room inspection report prints every reading with its normal range."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    asset_id: UUID
    tag: str
    asset_class: str
    site: str
    room: str | None = None
    item_key: str
    item_label: str
    kind: str  # check | reading
    value: bool | float | None = None
    measure_unit: str | None = None
    normal_low: float | None = None
    normal_high: float | None = None
    abnormal: bool
    checked_at: datetime | None = None
    checked_by_name: str | None = None


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
    # The classes of the round's assets (e.g. ups, air_conditioner: a machine-room round) and every item's
    # result; empty in events of before they were added.
    asset_classes: list[str] = []
    readings: list[RoundReading] = []


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
    asset_classes: list[str] = []  # of the round's assets


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


# Spare parts (备品备件, SPEC §2a): the stock the contract requires the vendor to keep.


class SparesStockLow(Event):
    """A part's stock (all stores together) went below its minimum: by an issue, or a minimum raised above
    what is on hand. Announced once per crossing; it is announced again only after the stock was back at or
    above the minimum. `recipients` are the project managers (role `project_manager`) assets knows of."""

    type = "spares.stock_low"
    part_id: UUID
    part_number: str
    name: str
    on_hand: int  # all stores
    minimum: int
    store_id: UUID | None = None  # the store whose movement crossed it (None: the minimum was changed)
    store_name: str | None = None
    crossed_at: datetime
    notify_roles: list[str] = ["project_manager"]
    recipients: list[Recipient] = []


# Training (培训, SPEC §2a): sessions the vendor holds for the bureau's administrators and users.


class TrainingMaterial(BaseModel):
    """A file handed in with a session (its content stays in the assets service); part of
    `training.session_saved`, not an event of its own."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    material_id: UUID
    filename: str
    content_type: str
    size: int


class TrainingSessionSaved(Event):
    """A session as it stands after it was scheduled or changed (materials added, cancelled)."""

    type = "training.session_saved"
    session_id: UUID
    topic: str
    trainer: str
    place: str
    starts_at: datetime
    ends_at: datetime
    audience_unit_ids: list[UUID]
    cancelled: bool = False
    materials: list[TrainingMaterial] = []
    aggregate_version: int = 0


class TrainingSignedIn(Event):
    """An attendee signed in to a session with their own account (once per person and session)."""

    type = "training.signed_in"
    session_id: UUID
    user_id: UUID
    display_name: str
    unit_id: UUID | None = None
    signed_in_at: datetime


class TrainingFeedbackGiven(Event):
    """An attendee's rating of a session (1–5); a later one replaces theirs."""

    type = "training.feedback_given"
    session_id: UUID
    user_id: UUID
    rating: int
    comment: str | None = None
    given_at: datetime


# User visits (定期访问最终用户 / 回访, SPEC §2a).


class VisitScheduled(Event):
    """A visit owed to a unit: made by a visit plan for its period, or arranged on its own."""

    type = "visit.scheduled"
    visit_id: UUID
    plan_id: UUID | None = None
    unit_id: UUID
    unit_name: str
    due_from: date
    due_by: date
    scheduled_at: datetime


class VisitRisk(BaseModel):
    """A hidden risk of a recorded visit; part of `visit.recorded`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    risk_id: UUID
    description: str


class VisitRecorded(Event):
    """A visit done and written up: who visited whom, what was checked, hidden risks and proposals."""

    type = "visit.recorded"
    visit_id: UUID
    plan_id: UUID | None = None
    unit_id: UUID
    unit_name: str
    due_from: date
    due_by: date
    visited_at: datetime
    visitor_id: UUID
    visitor_name: str
    risks: list[VisitRisk] = []


class VisitSurveyed(Event):
    """The visited unit's satisfaction with the visit (1–5); a later answer replaces the earlier."""

    type = "visit.surveyed"
    visit_id: UUID
    unit_id: UUID
    satisfaction: int
    comment: str | None = None
    surveyed_at: datetime


class VisitRiskRaised(Event):
    """A hidden risk found on a visit, to become a ticket (channel `visit`): intake files it on the visitor's
    behalf, the visited unit's contact as requester, and answers with `visit.risk_ticketed`."""

    type = "visit.risk_raised"
    risk_id: UUID
    visit_id: UUID
    unit_id: UUID
    unit_name: str
    description: str
    contact_name: str
    contact_phone: SealedPhone
    visitor_id: UUID
    visitor_name: str
    raised_at: datetime


class VisitRiskMeasureProposed(Event):
    """A hidden risk found on a visit proposed as an improvement measure in one step (issue 20): which measure,
    for the reports' "what became of each risk". Once per risk; the measure then goes through its review."""

    type = "visit.risk_measure_proposed"
    risk_id: UUID
    visit_id: UUID
    unit_id: UUID
    measure_id: UUID
    title: str
    proposed_by: UUID
    proposed_by_name: str
    proposed_at: datetime


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
