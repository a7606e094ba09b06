"""People and units as dispatch knows them: learned from the gateway's `user.*` and `unit.*` events,
plus what only dispatch keeps (an engineer's skills and home district, who is the project manager)."""

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dispatch.columns import text_array, uuid_array
from opsdesk_shared.db import timestamp
from opsdesk_shared.personal_data import EncryptedPhone


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"

    user_id: UUID = Field(primary_key=True)
    username: str
    display_name: str
    phone: str | None = Field(default=None, sa_column=sa.Column(EncryptedPhone))
    roles: list[str] = Field(sa_column=text_array())
    unit_id: UUID | None = None
    is_active: bool = True
    # Dispatch's own facts about the person; never overwritten by the gateway's events.
    skills: list[str] = Field(sa_column=text_array())
    home_district_id: UUID | None = None
    is_project_manager: bool = False
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))
    applied_version: int = 0  # the newest of the gateway's user events applied (messaging/ordering.py)


class Unit(SQLModel, table=True):
    __tablename__ = "directory_unit"

    id: UUID = Field(primary_key=True)
    code: str
    name: str
    kind: str
    parent_id: UUID | None = None
    path: list[UUID] = Field(sa_column=uuid_array())
    applied_version: int = 0  # the newest of the gateway's unit events applied
