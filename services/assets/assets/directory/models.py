"""The gateway's units as the assets service keeps them (from `unit.*` events): the tree that scopes what a
requester sees, and the unit codes an imported spreadsheet names; and its people's names (from `user.*`)."""

from uuid import UUID

from sqlalchemy import Text
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base
from opsdesk_shared.personal_data import EncryptedPhone


class Unit(Base):
    __tablename__ = "directory_unit"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, index=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[UUID | None]
    # Ancestors from the root down to the unit itself.
    path: Mapped[list[UUID]] = mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)), server_default="{}")
    applied_version: Mapped[int] = mapped_column(server_default="0")


class User(Base):
    """A gateway user as the assets service keeps them (from `user.*` events, newest version wins): the name an
    attendee list, a visit record or a measure shows (not the login name the access token carries), and whom
    assets tells of low stock (the project managers, by role) without asking the gateway."""

    __tablename__ = "directory_user"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(EncryptedPhone)
    roles: Mapped[list[str]] = mapped_column(pg.ARRAY(Text), server_default="{}")
    unit_id: Mapped[UUID | None]
    is_active: Mapped[bool] = mapped_column(server_default="true")
    applied_version: Mapped[int] = mapped_column(server_default="0")
