"""The hotline's call log."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base
from opsdesk_shared.personal_data import EncryptedPhone


class Call(Base, kw_only=True):
    """Every hotline call, logged by hand or from the phone system's events; none is ever deleted."""

    __tablename__ = "call"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    cti_call_id: Mapped[str | None] = mapped_column(unique=True, default=None)
    caller_phone: Mapped[str] = mapped_column(EncryptedPhone, index=True)
    direction: Mapped[str] = mapped_column(default="inbound")
    state: Mapped[str] = mapped_column(default="ended")  # ringing | answered | ended
    started_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    operator_id: Mapped[UUID | None] = mapped_column(default=None)
    operator_name: Mapped[str | None] = mapped_column(default=None)
    agent: Mapped[str | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(default=None)
    notes: Mapped[str | None] = mapped_column(default=None)
    ticket_id: Mapped[UUID | None] = mapped_column(sa.ForeignKey("ticket.id"), index=True, default=None)
    created_at: Mapped[datetime]
