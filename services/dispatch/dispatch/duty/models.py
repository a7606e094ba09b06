"""Resident posts (5×8, 7×8, 7×24), the shifts staffed on them, and attendance (clock-in / clock-out)."""

from datetime import datetime, time
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class DutyPost(SQLModel, table=True):
    __tablename__ = "duty_post"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    code: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    name: str
    pattern: str  # 5x8 | 7x8 | 7x24
    starts: time = Field(sa_column=sa.Column(sa.Time, nullable=False))
    ends: time = Field(sa_column=sa.Column(sa.Time, nullable=False))


class Shift(SQLModel, table=True):
    __tablename__ = "duty_shift"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    post_id: UUID = Field(foreign_key="duty_post.id")
    user_id: UUID = Field(foreign_key="staff_member.user_id")
    starts_at: datetime = Field(sa_column=timestamp(nullable=False))
    ends_at: datetime = Field(sa_column=timestamp(nullable=False))


class Attendance(SQLModel, table=True):
    __tablename__ = "attendance"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    user_id: UUID = Field(foreign_key="staff_member.user_id")
    shift_id: UUID | None = Field(default=None, foreign_key="duty_shift.id")
    clock_in_at: datetime = Field(sa_column=timestamp(nullable=False))
    clock_out_at: datetime | None = Field(default=None, sa_column=timestamp())
