"""Which ticket each inspection finding became: the first abnormal reading of an asset's item opens a
ticket, later ones add to it while it is open."""

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base


class FindingTicket(Base, kw_only=True):
    __tablename__ = "finding_ticket"
    __table_args__ = (sa.Index("ix_finding_ticket_asset_item", "asset_id", "item_key"),)

    finding_id: Mapped[UUID] = mapped_column(primary_key=True)
    ticket_id: Mapped[UUID] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    asset_id: Mapped[UUID]
    item_key: Mapped[str]
    opened: Mapped[bool]  # this finding opened the ticket (else it was added to an open one)
    raised_at: Mapped[datetime]
