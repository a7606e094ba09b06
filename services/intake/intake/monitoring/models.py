"""Which ticket each monitoring alert is on: one row per alert (source and fingerprint), pointing at the
ticket its firing opened, or the storm lead's ticket it joined, with the episode last handled."""

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base


class AlertTicket(Base, kw_only=True):
    __tablename__ = "alert_ticket"

    source: Mapped[str] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(primary_key=True)
    ticket_id: Mapped[UUID] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    alertname: Mapped[str]
    # The firing episode last handled (an alert's start), and whether it has recovered since.
    starts_at: Mapped[datetime]
    firing: Mapped[bool] = mapped_column(default=True)
    recovered_at: Mapped[datetime | None] = mapped_column(default=None)
