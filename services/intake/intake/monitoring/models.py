"""Which ticket each monitoring alert is on: one row per alert (source and fingerprint), pointing at the
ticket its firing opened, or the storm lead's ticket it joined, with the episode last handled."""

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class AlertTicket(SQLModel, table=True):
    __tablename__ = "alert_ticket"

    source: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    fingerprint: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    ticket_id: UUID = Field(foreign_key="ticket.id", index=True)
    alertname: str
    # The firing episode last handled (an alert's start), and whether it has recovered since.
    starts_at: datetime = Field(sa_column=timestamp(nullable=False))
    firing: bool = True
    recovered_at: datetime | None = Field(default=None, sa_column=timestamp())
