"""The hotline's call log."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp
from opsdesk_shared.personal_data import EncryptedPhone


class Call(SQLModel, table=True):
    """Every hotline call, logged by hand or from the phone system's events; none is ever deleted."""

    __tablename__ = "call"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    cti_call_id: str | None = Field(default=None, sa_column=sa.Column(sa.Text, unique=True))
    caller_phone: str = Field(sa_column=sa.Column(EncryptedPhone, nullable=False, index=True))
    direction: str = "inbound"
    state: str = "ended"  # ringing | answered | ended
    started_at: datetime = Field(sa_column=timestamp(nullable=False, index=True))
    answered_at: datetime | None = Field(default=None, sa_column=timestamp())
    ended_at: datetime | None = Field(default=None, sa_column=timestamp())
    operator_id: UUID | None = None
    operator_name: str | None = None
    agent: str | None = None
    outcome: str | None = None
    notes: str | None = None
    ticket_id: UUID | None = Field(default=None, foreign_key="ticket.id", index=True)
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
