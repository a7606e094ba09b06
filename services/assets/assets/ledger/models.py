"""The equipment ledger (设备台帐): one row per piece of equipment, named by its asset tag."""

from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy import Computed, ForeignKey, Text
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base

# What the ledger's free-text search looks in (Chinese substrings too: a trigram index, see assets_0001).
SEARCH_EXPRESSION = (
    "tag || ' ' || coalesce(name, '') || ' ' || security_zone || ' ' || owning_system || ' ' || site || ' ' || "
    "coalesce(room, '') || ' ' || coalesce(rack, '') || ' ' || coalesce(maker, '') || ' ' || "
    "coalesce(model, '') || ' ' || coalesce(serial_number, '') || ' ' || coalesce(custodian, '') || ' ' || "
    "coalesce(notes, '')"
)


class Asset(Base):
    __tablename__ = "asset"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    tag: Mapped[str] = mapped_column(Text, unique=True)
    asset_class: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str | None] = mapped_column(Text)
    security_zone: Mapped[str] = mapped_column(Text, index=True)
    owning_system: Mapped[str] = mapped_column(Text, index=True)
    unit_id: Mapped[UUID] = mapped_column(index=True)
    # The unit's ancestors and itself: a requester of unit U sees the assets whose path contains U.
    unit_path: Mapped[list[UUID]] = mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)))
    site: Mapped[str] = mapped_column(Text)
    room: Mapped[str | None] = mapped_column(Text)
    rack: Mapped[str | None] = mapped_column(Text)
    maker: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    serial_number: Mapped[str | None] = mapped_column(Text)
    commissioned_on: Mapped[date | None]
    warranty_until: Mapped[date | None]
    criticality: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, index=True)
    custodian: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, Computed(SEARCH_EXPRESSION, persisted=True))
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[datetime]
    created_by: Mapped[UUID | None]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID | None]


class StatusChange(Base):
    """Every status an asset went through, with who, when and why (the asset page's history)."""

    __tablename__ = "asset_status_change"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    asset_id: Mapped[UUID] = mapped_column(ForeignKey("asset.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    approval_ref: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime]
    changed_by: Mapped[UUID | None]
    changed_by_name: Mapped[str | None] = mapped_column(Text)
