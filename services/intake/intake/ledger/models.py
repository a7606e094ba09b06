"""The equipment ledger as intake knows it, from the assets service's `asset.*` events: what a ticket's
asset tag is checked against."""

from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class KnownAsset(SQLModel, table=True):
    __tablename__ = "known_asset"

    asset_id: UUID = Field(primary_key=True)
    tag: str = Field(sa_column=sa.Column(sa.Text, nullable=False, index=True))
    asset_class: str
    name: str | None = None
    unit_id: UUID
    site: str | None = None  # None while only a status change of the asset has arrived
    room: str | None = None
    criticality: str | None = None
    status: str
    applied_version: int = 0  # the newest of the asset's events applied
