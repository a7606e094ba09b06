"""People and units as dispatch knows them: learned from the gateway's `user.*` and `unit.*` events,
plus what only dispatch keeps (an engineer's skills and home district). Who is the project manager is a role
of the gateway's, like any other (`roles`)."""

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.base import Base, text_array, uuid_array
from opsdesk_shared.personal_data import EncryptedPhone


class StaffMember(Base, kw_only=True):
    __tablename__ = "staff_member"
    __table_args__ = (sa.Index("staff_member_roles_idx", "roles", postgresql_using="gin"),)

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    username: Mapped[str]
    display_name: Mapped[str]
    phone: Mapped[str | None] = mapped_column(EncryptedPhone, default=None)
    roles: Mapped[list[str]] = text_array()
    unit_id: Mapped[UUID | None] = mapped_column(default=None)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Dispatch's own facts about the person; never overwritten by the gateway's events.
    skills: Mapped[list[str]] = text_array()
    home_district_id: Mapped[UUID | None] = mapped_column(default=None)
    updated_at: Mapped[datetime]
    # The newest of the gateway's user events applied (messaging/ordering.py).
    applied_version: Mapped[int] = mapped_column(default=0)


class Unit(Base, kw_only=True):
    __tablename__ = "directory_unit"

    id: Mapped[UUID] = mapped_column(primary_key=True)
    code: Mapped[str]
    name: Mapped[str]
    kind: Mapped[str]
    parent_id: Mapped[UUID | None] = mapped_column(default=None)
    path: Mapped[list[UUID]] = uuid_array()
    applied_version: Mapped[int] = mapped_column(default=0)


class ProjectManagerHandover(Base, kw_only=True):
    """Who held dispatch's old project-manager flag without the gateway's role when the flag went (migration
    dispatch_0011): the one-time step's list (directory/handover.py). Never written by the service."""

    __tablename__ = "project_manager_handover"

    user_id: Mapped[UUID] = mapped_column(primary_key=True)
    username: Mapped[str]
    display_name: Mapped[str]
    recorded_at: Mapped[datetime] = mapped_column(server_default=sa.func.now())
