"""Resident posts (5×8, 7×8, 7×24), the shifts staffed on them, and attendance (clock-in / clock-out)."""

from datetime import datetime, time
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dispatch.base import Base


class DutyPost(Base, kw_only=True):
    __tablename__ = "duty_post"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    code: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    pattern: Mapped[str]  # 5x8 | 7x8 | 7x24
    starts: Mapped[time]
    ends: Mapped[time]


class Shift(Base, kw_only=True):
    __tablename__ = "duty_shift"
    __table_args__ = (sa.Index("duty_shift_user_time_idx", "user_id", "starts_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    post_id: Mapped[UUID] = mapped_column(sa.ForeignKey("duty_post.id"))
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("staff_member.user_id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class Attendance(Base, kw_only=True):
    __tablename__ = "attendance"
    # One open clock-in per person.
    __table_args__ = (
        sa.Index(
            "attendance_one_open_per_user", "user_id", unique=True, postgresql_where=sa.text("clock_out_at IS NULL")
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("staff_member.user_id"))
    shift_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("duty_shift.id"), default=None)
    clock_in_at: Mapped[datetime]
    clock_out_at: Mapped[datetime | None] = mapped_column(default=None)
