"""The equipment ledger as intake knows it, from the assets service's `asset.*` events: what a ticket's
asset tag is checked against."""

from uuid import UUID

from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base


class KnownAsset(Base, kw_only=True):
    __tablename__ = "known_asset"

    asset_id: Mapped[UUID] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(index=True)
    asset_class: Mapped[str]
    name: Mapped[str | None] = mapped_column(default=None)
    unit_id: Mapped[UUID]
    site: Mapped[str | None] = mapped_column(default=None)  # None while only a status change has arrived
    room: Mapped[str | None] = mapped_column(default=None)
    criticality: Mapped[str | None] = mapped_column(default=None)
    status: Mapped[str]
    applied_version: Mapped[int] = mapped_column(default=0, server_default="0")  # the newest event applied
