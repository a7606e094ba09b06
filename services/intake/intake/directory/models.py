"""The gateway's units and users as intake knows them, from `unit.*` and `user.*` events."""

from uuid import UUID

from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base, text_array, uuid_array
from opsdesk_shared.personal_data import EncryptedPhone


class Unit(Base, kw_only=True):
    """The gateway's unit tree as intake knows it, from `unit.*` events."""

    __tablename__ = "known_unit"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    code: Mapped[str]
    name: Mapped[str]
    kind: Mapped[str]
    parent_id: Mapped[UUID | None] = mapped_column(default=None)
    path: Mapped[list[UUID]] = uuid_array()
    applied_version: Mapped[int] = mapped_column(default=0)  # the newest of the gateway's unit events applied


class KnownUser(Base, kw_only=True):
    """People from the gateway's `user.*` events: who a ringing number belongs to."""

    __tablename__ = "known_user"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    username: Mapped[str]
    display_name: Mapped[str]
    phone: Mapped[str | None] = mapped_column(EncryptedPhone, index=True, default=None)
    unit_id: Mapped[UUID | None] = mapped_column(default=None)
    roles: Mapped[list[str]] = text_array()
    is_active: Mapped[bool] = mapped_column(default=True)
    applied_version: Mapped[int] = mapped_column(default=0)  # the newest of the gateway's user events applied
