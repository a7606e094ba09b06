"""Tickets as dispatch sees them, the work orders that send engineers to them, and what a repair records:
work log, parts and costs, custody of replaced storage media, approvals to take equipment off the premises."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.base import Base, money


class DispatchTicket(Base, kw_only=True):
    """Projection of intake's ticket: what the queue, suggestions and SLA need."""

    __tablename__ = "dispatch_ticket"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    number: Mapped[str]
    title: Mapped[str]
    category: Mapped[str]
    subcategory: Mapped[str | None] = mapped_column(default=None)
    priority: Mapped[str]
    unit_id: Mapped[UUID]
    status: Mapped[str]
    asset_tag: Mapped[str | None] = mapped_column(default=None)
    location: Mapped[str | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    # The newest of intake's ticket events applied (messaging/ordering.py).
    applied_version: Mapped[int] = mapped_column(default=0)


class WorkOrder(Base, kw_only=True):
    __tablename__ = "work_order"
    __table_args__ = (
        sa.Index("work_order_ticket_id_idx", "ticket_id"),
        sa.Index("work_order_engineer_id_idx", "engineer_id"),
        # One live work order per ticket; finished ones (resolved, cancelled, declined) stay as history.
        sa.Index(
            "work_order_one_active_per_ticket",
            "ticket_id",
            unique=True,
            postgresql_where=sa.text("status NOT IN ('resolved', 'cancelled', 'declined')"),
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    ticket_id: Mapped[UUID] = mapped_column(sa.ForeignKey("dispatch_ticket.id"))
    engineer_id: Mapped[UUID] = mapped_column(sa.ForeignKey("staff_member.user_id"))
    status: Mapped[str]  # assigned | accepted | en_route | on_site | resolved | cancelled | declined
    assigned_by: Mapped[UUID | None] = mapped_column(default=None)
    assigned_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    departed_at: Mapped[datetime | None] = mapped_column(default=None)
    arrived_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    remote: Mapped[bool | None] = mapped_column(default=None)
    resolution_code: Mapped[str | None] = mapped_column(default=None)
    summary: Mapped[str | None] = mapped_column(default=None)
    total_cost: Mapped[Decimal] = money(default=Decimal("0.00"))
    cost_borne_by: Mapped[str | None] = mapped_column(default=None)  # vendor | bureau, decided at resolution
    version: Mapped[int] = mapped_column(default=1)


class WorkOrderStep(Base, kw_only=True):
    """Every transition and who made it: the work order's own timeline."""

    __tablename__ = "work_order_step"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    work_order_id: Mapped[UUID] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    action: Mapped[str]
    from_status: Mapped[str | None] = mapped_column(default=None)
    to_status: Mapped[str]
    actor_id: Mapped[UUID | None] = mapped_column(default=None)
    engineer_id: Mapped[UUID | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(default=None)
    at: Mapped[datetime]


class WorkLogEntry(Base, kw_only=True):
    __tablename__ = "work_log_entry"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    work_order_id: Mapped[UUID] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    author_id: Mapped[UUID]
    note: Mapped[str]
    minutes: Mapped[int | None] = mapped_column(default=None)
    at: Mapped[datetime]


class Part(Base, kw_only=True):
    __tablename__ = "work_order_part"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    work_order_id: Mapped[UUID] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    name: Mapped[str]
    quantity: Mapped[int]
    # The spare-parts catalogue's number when the part came from stock (assets reconciles it); free text only
    # for what was bought on the spot.
    part_number: Mapped[str | None] = mapped_column(default=None)
    unit_cost: Mapped[Decimal] = money()
    recorded_by: Mapped[UUID]
    at: Mapped[datetime]


class MediaCustody(Base, kw_only=True):
    """A replaced disk or other storage medium stays with the bureau: who got it, from whom, when."""

    __tablename__ = "media_custody"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    work_order_id: Mapped[UUID] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    serial: Mapped[str]
    description: Mapped[str]
    handed_to: Mapped[str]
    handed_by: Mapped[UUID]
    handed_at: Mapped[datetime]


class EquipmentRemoval(Base, kw_only=True):
    """Equipment leaves the bureau's premises only with an approval on record."""

    __tablename__ = "equipment_removal"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    work_order_id: Mapped[UUID] = mapped_column(sa.ForeignKey("work_order.id"), index=True)
    asset: Mapped[str]
    reason: Mapped[str]
    requested_by: Mapped[UUID]
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(default="requested")  # requested | approved | rejected
    decided_by: Mapped[UUID | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decision_note: Mapped[str | None] = mapped_column(default=None)
