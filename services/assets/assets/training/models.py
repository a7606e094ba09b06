"""Training sessions (培训): the session, its materials (stored here, size- and type-limited) and its
attendees, each signed in once with their own account and with their feedback on the same row."""

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, LargeBinary, Text, UniqueConstraint
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, deferred, mapped_column

from assets.db import Base


class TrainingSession(Base):
    __tablename__ = "training_session"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    topic: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    trainer: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    # Whose people it is for: each unit with its subtree (the bureau's root unit: everybody).
    audience_unit_ids: Mapped[list[UUID]] = mapped_column(pg.ARRAY(pg.UUID(as_uuid=True)))
    # The bureau's training request (a `service_request` ticket of kind `training`) it answers, if any.
    request_ticket: Mapped[str | None] = mapped_column(Text)
    cancelled: Mapped[bool] = mapped_column(server_default="false")
    version: Mapped[int] = mapped_column(server_default="1")
    created_at: Mapped[datetime]
    created_by: Mapped[UUID]
    updated_at: Mapped[datetime]
    updated_by: Mapped[UUID]


class TrainingMaterialFile(Base):
    __tablename__ = "training_material"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    session_id: Mapped[UUID] = mapped_column(ForeignKey("training_session.id"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size: Mapped[int]
    # Deferred: listing a session's materials does not read the files.
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[UUID]


class TrainingAttendance(Base):
    """One attendee of one session: signed in once (the pair is unique), rated it at most once more."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="training_attendance_session_id_user_id_key"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    session_id: Mapped[UUID] = mapped_column(ForeignKey("training_session.id"), index=True)
    user_id: Mapped[UUID]
    display_name: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[UUID | None]
    unit_name: Mapped[str | None] = mapped_column(Text)
    signed_in_at: Mapped[datetime]
    rating: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
