"""Which ticket each inspection finding became: the first abnormal reading of an asset's item opens a
ticket, later ones add to it while it is open."""

from datetime import datetime
from uuid import UUID

from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class FindingTicket(SQLModel, table=True):
    __tablename__ = "finding_ticket"

    finding_id: UUID = Field(primary_key=True)
    ticket_id: UUID = Field(foreign_key="ticket.id", index=True)
    asset_id: UUID
    item_key: str
    opened: bool  # this finding opened the ticket (else it was added to an open one)
    raised_at: datetime = Field(sa_column=timestamp(nullable=False))
