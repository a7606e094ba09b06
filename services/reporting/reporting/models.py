"""Reporting's read model.

- `stored_event`: every event as received, so the projections can be rebuilt (`python -m reporting rebuild`).
- Facts, one row per thing, folded from events in any order: `ticket_fact`, `sla_clock_fact`,
  `cost_fact`, `shift_fact`, `attendance_fact`, `unit_dim`, `asset_dim`, `device_outage`.
- Rollups, what the reports read, defined in projections/rollups.py (tables in the migrations only):
  `ticket_*`, `sla_*`, `duration_*` and `unit_volume_*`, each per (local day, unit), per day and per
  month; the first recomputed from the facts for one cell whenever a ticket of that cell changes, the
  other two kept by adding the cell's change. `sms_daily` and `call_daily` are counters.
- `weekly_plan` and `report_archive`: what people write into reports and the reports kept for download.
- `contract_particulars`: the service contract an admin keeps (one row), printed on acceptance reports.
- `inspection_round_fact`, `inspection_finding_fact` (tables in the migrations only, written by
  projections/inspections.py): each inspection round completed or missed, each finding and its ticket;
  `inspection_reading_fact` every item of a completed round (the machine-room inspection report).
- `asset_change_fact` (table in the migrations only, written by projections/assets.py): each change of the
  equipment ledger (registered, details changed, status changed), one row per `asset.*` event.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class StoredEvent(SQLModel, table=True):
    __tablename__ = "stored_event"

    id: UUID = Field(primary_key=True)
    type: str = Field(index=True)
    occurred_at: datetime = Field(sa_column=timestamp(nullable=False, index=True))
    producer: str
    envelope: dict[str, Any] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    received_at: datetime = Field(sa_column=timestamp(nullable=False))


class TicketFact(SQLModel, table=True):
    """A ticket as reports see it. Rows can exist before `ticket.created` arrives (its dimensions are then
    null and it counts nowhere until they are known)."""

    __tablename__ = "ticket_fact"

    ticket_id: UUID = Field(primary_key=True)
    number: str | None = None
    title: str | None = None
    category: str | None = None
    priority: str | None = None
    channel: str | None = None
    unit_id: UUID | None = None
    created_at: datetime | None = Field(default=None, sa_column=timestamp())
    day: date | None = None  # local (Asia/Shanghai) day of creation: the rollups' time key
    status: str | None = None
    status_changed_at: datetime | None = Field(default=None, sa_column=timestamp())
    assigned_count: int = 0
    first_arrived_at: datetime | None = Field(default=None, sa_column=timestamp())
    resolved_at: datetime | None = Field(default=None, sa_column=timestamp())  # first resolution
    resolved_remote: bool | None = None
    closed_at: datetime | None = Field(default=None, sa_column=timestamp())
    rating: int | None = None
    reopen_count: int = 0
    # The ticket version whose classification (unit, category, priority, title) is held: a reclassification
    # (`ticket.updated`) wins over the creation whatever order they arrive in.
    classified_version: int = 0
    duplicate: bool = False  # closed as a duplicate of another ticket: counted apart, not as work
    asset_id: UUID | None = Field(default=None, index=True)  # the ledger asset the ticket names
    asset_tag: str | None = None


class SlaClockFact(SQLModel, table=True):
    """One SLA clock of a ticket (dispatch keeps one per metric, resumed on reopen)."""

    __tablename__ = "sla_clock_fact"

    ticket_id: UUID = Field(primary_key=True)
    metric: str = Field(primary_key=True)
    clock_id: UUID | None = None
    started_at: datetime | None = Field(default=None, sa_column=timestamp())
    due_at: datetime | None = Field(default=None, sa_column=timestamp())
    breached_at: datetime | None = Field(default=None, sa_column=timestamp())
    met_at: datetime | None = Field(default=None, sa_column=timestamp())
    cancelled_at: datetime | None = Field(default=None, sa_column=timestamp())


class CostFact(SQLModel, table=True):
    __tablename__ = "cost_fact"

    work_order_id: UUID = Field(primary_key=True)
    ticket_id: UUID
    ticket_number: str | None = None
    engineer_name: str
    resolved_at: datetime = Field(sa_column=timestamp(nullable=False))
    remote: bool
    summary: str
    total_cost: Decimal
    cost_borne_by: str  # vendor | bureau


class AttendanceFact(SQLModel, table=True):
    __tablename__ = "attendance_fact"

    attendance_id: UUID = Field(primary_key=True)
    user_id: UUID
    display_name: str
    shift_id: UUID | None = None
    clock_in_at: datetime = Field(sa_column=timestamp(nullable=False))
    clock_out_at: datetime | None = Field(default=None, sa_column=timestamp())


class ShiftFact(SQLModel, table=True):
    """A rostered duty shift, for attendance against the roster."""

    __tablename__ = "shift_fact"

    shift_id: UUID = Field(primary_key=True)
    post_name: str
    user_id: UUID
    display_name: str
    starts_at: datetime = Field(sa_column=timestamp(nullable=False))
    ends_at: datetime = Field(sa_column=timestamp(nullable=False))


class UnitDim(SQLModel, table=True):
    __tablename__ = "unit_dim"

    unit_id: UUID = Field(primary_key=True)
    code: str
    name: str
    kind: str
    path: list[UUID] = Field(sa_column=sa.Column(pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False))
    applied_version: int = 0  # the newest of the gateway's unit events folded in


class AssetDim(SQLModel, table=True):
    """The equipment ledger as reports need it (from the assets service's `asset.*` events): what a device
    is and where, to group outages and faults by class, zone and unit."""

    __tablename__ = "asset_dim"

    asset_id: UUID = Field(primary_key=True)
    tag: str = Field(index=True)
    asset_class: str
    security_zone: str
    owning_system: str
    unit_id: UUID
    status: str
    applied_version: int = 0
    name: str | None = None
    site: str | None = None
    room: str | None = None


class DeviceOutage(SQLModel, table=True):
    """A device down, from an availability alert of the monitoring receiver (e.g. DeviceDown from the
    blackbox probes): one row per firing episode, open (`ended_at` null) until its recovery arrives."""

    __tablename__ = "device_outage"

    alert_id: UUID = Field(primary_key=True)
    started_at: datetime = Field(sa_column=timestamp(primary_key=True))
    ended_at: datetime | None = Field(default=None, sa_column=timestamp())
    asset_id: UUID | None = Field(default=None, index=True)
    asset_tag: str | None = None
    asset_class: str | None = None
    unit_id: UUID | None = None
    alertname: str


class WeeklyPlan(SQLModel, table=True):
    """Next week's work plan, written by the vendor and printed in the weekly report."""

    __tablename__ = "weekly_plan"

    week: str = Field(primary_key=True)
    plan: str
    updated_by: str
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))


class ContractParticulars(SQLModel, table=True):
    """The service contract the acceptance reports are made under (one row, id 1; kept by an admin)."""

    __tablename__ = "contract_particulars"

    id: int = Field(default=1, primary_key=True)
    contract_number: str
    contract_title: str
    client_name: str  # 甲方, the bureau
    vendor_name: str  # 乙方, the O&M vendor
    starts_on: date
    ends_on: date
    updated_by: str
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))


class ReportArchive(SQLModel, table=True):
    __tablename__ = "report_archive"

    id: UUID = Field(primary_key=True)
    kind: str
    period: str
    format: str
    filename: str
    media_type: str
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
    generated_at: datetime = Field(sa_column=timestamp(nullable=False))
