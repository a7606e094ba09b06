"""Attachments' metadata and, for the PostgreSQL store, their bytes."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class Attachment(SQLModel, table=True):
    __tablename__ = "ticket_attachment"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    ticket_id: UUID = Field(foreign_key="ticket.id", index=True)
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str
    uploaded_by: UUID | None = None
    at: datetime = Field(sa_column=timestamp(nullable=False))


class AttachmentBlob(SQLModel, table=True):
    """The PostgreSQL attachment store's bytes, apart from the metadata so listing never reads them."""

    __tablename__ = "attachment_blob"

    key: str = Field(primary_key=True)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
