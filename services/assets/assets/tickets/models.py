"""Intake's tickets and dispatch's work orders as the assets service keeps them (from `ticket.*` and
`workorder.*` events): what an asset's page lists as its faults and the work done on it, and what the fault
analysis counts. Every ticket is kept, tagged or not, so a tag added later by reclassification still finds
the ticket's whole story; a row is a few short columns."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base


class TicketCopy(Base):
    __tablename__ = "ticket_copy"

    ticket_id: Mapped[UUID] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(Text)
    # None while only a status change has arrived (events of one ticket can overtake each other).
    title: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[UUID | None]
    # As the ledger writes tags (trimmed, upper case), so a ticket typed `jzz-cy-0042 ` still finds its asset.
    asset_tag: Mapped[str | None] = mapped_column(Text, index=True)
    created_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    applied_version: Mapped[int] = mapped_column(server_default="0")


class WorkOrderCopy(Base):
    __tablename__ = "work_order_copy"

    work_order_id: Mapped[UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(Text)
    engineer_name: Mapped[str] = mapped_column(Text)
    assigned_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution_code: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    remote: Mapped[bool | None]
    # Work-order events carry no version: the newest instant wins (an older event is applied only where it
    # fills what the newer left empty, e.g. `assigned_at`).
    last_event_at: Mapped[datetime]
