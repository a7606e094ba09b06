"""Spare parts (备品备件): the catalogue, the stores, what each store holds, every movement in and out, the work
orders stock was issued to (learned from dispatch's events) and how each was reconciled when resolved."""

from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base


class SparePart(Base):
    __tablename__ = "spare_part"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    part_number: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    # The equipment classes it fits (vocabulary.AssetClass).
    asset_classes: Mapped[list[str]] = mapped_column(pg.ARRAY(Text), server_default="{}")
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # Below this (all stores together) the project manager is told; 0: not kept in stock on purpose.
    minimum_stock: Mapped[int] = mapped_column(server_default="0")
    # Set while below the minimum: the crossing is announced once, again only after a refill.
    low_since: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[datetime]
    created_by: Mapped[UUID]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID]

    __table_args__ = (CheckConstraint("minimum_stock >= 0", name="minimum_not_negative"),)


class SpareStore(Base):
    """A place parts are kept (the vendor's store at the bureau, a station's cabinet)."""

    __tablename__ = "spare_store"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[UUID]


class SpareStock(Base):
    """What one store holds of one part. The database refuses a negative stock whatever the code does."""

    __tablename__ = "spare_stock"

    part_id: Mapped[UUID] = mapped_column(ForeignKey("spare_part.id"), primary_key=True)
    store_id: Mapped[UUID] = mapped_column(ForeignKey("spare_store.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(server_default="0")
    updated_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),)


class SpareMovement(Base):
    """Every change of stock, append-only: goods received, issued to a work order, returned unused."""

    __tablename__ = "spare_movement"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    part_id: Mapped[UUID] = mapped_column(ForeignKey("spare_part.id"), index=True)
    store_id: Mapped[UUID] = mapped_column(ForeignKey("spare_store.id"))
    kind: Mapped[str] = mapped_column(Text)  # received | issued | returned
    quantity: Mapped[int]
    work_order_id: Mapped[UUID | None] = mapped_column(index=True)
    reference: Mapped[str | None] = mapped_column(Text)  # a delivery note, a purchase order
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[UUID | None]  # None: the reconciliation put it back
    actor_name: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("kind IN ('received', 'issued', 'returned')", name="known_kind"),
    )


class SpareWorkOrder(Base):
    """A dispatch work order as assets knows it from `workorder.*` events: whose it is (an engineer issues
    parts to their own only), and whether it was resolved and reconciled."""

    __tablename__ = "spare_work_order"

    work_order_id: Mapped[UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[UUID]
    ticket_number: Mapped[str | None] = mapped_column(Text, index=True)
    engineer_id: Mapped[UUID]
    engineer_name: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    status_at: Mapped[datetime]
    reconciled_at: Mapped[datetime | None]


class SpareReconciliation(Base):
    """One line of a resolved work order's reconciliation: a part used or issued, and what came of it."""

    __tablename__ = "spare_reconciliation"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    work_order_id: Mapped[UUID] = mapped_column(index=True)
    ticket_number: Mapped[str | None] = mapped_column(Text)
    part_id: Mapped[UUID | None]
    part_number: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    used: Mapped[int]
    issued: Mapped[int]
    returned: Mapped[int]
    unissued: Mapped[int]
    outcome: Mapped[str] = mapped_column(Text)  # rules.ReconciliationOutcome
    flagged: Mapped[bool] = mapped_column(index=True)
    reconciled_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("work_order_id", "part_number", "name", name="one_line_per_part"),)
