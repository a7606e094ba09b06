"""The monitoring receiver's tables: the rules that decide what alerts do (data, kept by the admin console),
maintenance windows, and every alert heard of, by source and fingerprint, with its current episode."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Index, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base


class MonitoringRule(Base):
    """Which alerts open tickets (label matchers) and how: priority per severity, auto-resolve on recovery,
    the reopen window, category and kind of work, storms sharing a ticket, availability accounting."""

    __tablename__ = "monitoring_rule"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[int]  # lower first; the first rule whose matchers all hold decides
    matchers: Mapped[list[dict[str, Any]]] = mapped_column(pg.JSONB)  # [{label, op, value}]
    opens_tickets: Mapped[bool]
    severity_priority: Mapped[dict[str, str]] = mapped_column(pg.JSONB)
    default_priority: Mapped[str] = mapped_column(Text)
    auto_resolve: Mapped[bool]
    reopen_window_s: Mapped[int]
    category: Mapped[str] = mapped_column(Text)
    kind_of_work: Mapped[str | None] = mapped_column(Text)
    group_storms: Mapped[bool]
    availability: Mapped[bool]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID | None]


class MaintenanceWindow(Base):
    """While open, alerts of its asset (or of its unit and every unit under it) are recorded, no ticket."""

    __tablename__ = "maintenance_window"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    asset_tag: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[UUID | None]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[UUID]


class MonitoringAlert(Base):
    """One alert as last heard of: its current episode (starts_at), firing or resolved."""

    __tablename__ = "monitoring_alert"
    __table_args__ = (
        UniqueConstraint("source", "fingerprint"),
        Index("monitoring_alert_group_idx", "source", "group_key", "status"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    source: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(Text)
    alertname: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)  # firing | resolved
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    labels: Mapped[dict[str, str]] = mapped_column(pg.JSONB)
    annotations: Mapped[dict[str, str]] = mapped_column(pg.JSONB)
    generator_url: Mapped[str | None] = mapped_column(Text)
    group_key: Mapped[str | None] = mapped_column(Text)
    # The storm lead whose ticket this alert's episode joined (None: its own ticket, or none).
    group_lead: Mapped[str | None] = mapped_column(Text)
    opens_ticket: Mapped[bool]
    asset_tag: Mapped[str | None] = mapped_column(Text, index=True)
    asset_id: Mapped[UUID | None]
    unit_id: Mapped[UUID | None]
    rule_id: Mapped[UUID | None]
    in_maintenance: Mapped[bool]
    availability: Mapped[bool]
    received_at: Mapped[datetime]  # the last delivery that changed it
    deliveries: Mapped[int] = mapped_column(server_default="1")  # every delivery, resends included
