"""The gateway's units and users as intake knows them, from `unit.*` and `user.*` events."""

from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field, SQLModel

from opsdesk_shared.personal_data import EncryptedPhone


class Unit(SQLModel, table=True):
    """The gateway's unit tree as intake knows it, from `unit.*` events."""

    __tablename__ = "known_unit"

    id: UUID = Field(primary_key=True)
    code: str
    name: str
    kind: str
    parent_id: UUID | None = None
    path: list[UUID] = Field(sa_column=sa.Column(pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False))
    applied_version: int = 0  # the newest of the gateway's unit events applied


class KnownUser(SQLModel, table=True):
    """People from the gateway's `user.*` events: who a ringing number belongs to."""

    __tablename__ = "known_user"

    user_id: UUID = Field(primary_key=True)
    username: str
    display_name: str
    phone: str | None = Field(default=None, sa_column=sa.Column(EncryptedPhone, index=True))
    unit_id: UUID | None = None
    roles: list[str] = Field(sa_column=sa.Column(pg.ARRAY(sa.Text), nullable=False))
    is_active: bool = True
    applied_version: int = 0  # the newest of the gateway's user events applied
