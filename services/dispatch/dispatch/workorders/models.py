"""Tickets as dispatch sees them, the work orders that send engineers to them, and what a repair records:
work log, parts and costs, custody of replaced storage media, approvals to take equipment off the premises."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dispatch.columns import money
from opsdesk_shared.db import timestamp


class DispatchTicket(SQLModel, table=True):
    """Projection of intake's ticket: what the queue, suggestions and SLA need."""

    __tablename__ = "dispatch_ticket"

    id: UUID = Field(primary_key=True)
    number: str
    title: str
    category: str
    subcategory: str | None = None
    priority: str
    unit_id: UUID
    status: str
    asset_tag: str | None = None
    location: str | None = None
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
    applied_version: int = 0  # the newest of intake's ticket events applied (messaging/ordering.py)


class WorkOrder(SQLModel, table=True):
    __tablename__ = "work_order"
    # One live work order per ticket; finished ones (resolved, cancelled) stay as history.
    __table_args__ = (
        sa.Index(
            "work_order_one_active_per_ticket",
            "ticket_id",
            unique=True,
            postgresql_where=sa.text("status NOT IN ('resolved', 'cancelled', 'declined')"),
        ),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    ticket_id: UUID = Field(foreign_key="dispatch_ticket.id", index=True)
    engineer_id: UUID = Field(foreign_key="staff_member.user_id", index=True)
    status: str  # assigned | accepted | en_route | on_site | resolved | cancelled | declined
    assigned_by: UUID | None = None
    assigned_at: datetime = Field(sa_column=timestamp(nullable=False))
    accepted_at: datetime | None = Field(default=None, sa_column=timestamp())
    departed_at: datetime | None = Field(default=None, sa_column=timestamp())
    arrived_at: datetime | None = Field(default=None, sa_column=timestamp())
    resolved_at: datetime | None = Field(default=None, sa_column=timestamp())
    remote: bool | None = None
    resolution_code: str | None = None
    summary: str | None = None
    total_cost: Decimal = Field(default=Decimal("0.00"), sa_column=money())
    cost_borne_by: str | None = None  # vendor | bureau, decided at resolution
    version: int = 1


class WorkOrderStep(SQLModel, table=True):
    """Every transition and who made it: the work order's own timeline."""

    __tablename__ = "work_order_step"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    work_order_id: UUID = Field(foreign_key="work_order.id", index=True)
    action: str
    from_status: str | None = None
    to_status: str
    actor_id: UUID | None = None
    engineer_id: UUID | None = None
    reason: str | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class WorkLogEntry(SQLModel, table=True):
    __tablename__ = "work_log_entry"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    work_order_id: UUID = Field(foreign_key="work_order.id", index=True)
    author_id: UUID
    note: str
    minutes: int | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class Part(SQLModel, table=True):
    __tablename__ = "work_order_part"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    work_order_id: UUID = Field(foreign_key="work_order.id", index=True)
    name: str
    quantity: int
    unit_cost: Decimal = Field(sa_column=money())
    recorded_by: UUID
    at: datetime = Field(sa_column=timestamp(nullable=False))


class MediaCustody(SQLModel, table=True):
    """A replaced disk or other storage medium stays with the bureau: who got it, from whom, when."""

    __tablename__ = "media_custody"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    work_order_id: UUID = Field(foreign_key="work_order.id", index=True)
    serial: str
    description: str
    handed_to: str
    handed_by: UUID
    handed_at: datetime = Field(sa_column=timestamp(nullable=False))


class EquipmentRemoval(SQLModel, table=True):
    """Equipment leaves the bureau's premises only with an approval on record."""

    __tablename__ = "equipment_removal"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    work_order_id: UUID = Field(foreign_key="work_order.id", index=True)
    asset: str
    reason: str
    requested_by: UUID
    requested_at: datetime = Field(sa_column=timestamp(nullable=False))
    status: str = "requested"  # requested | approved | rejected
    decided_by: UUID | None = None
    decided_at: datetime | None = Field(default=None, sa_column=timestamp())
    decision_note: str | None = None
