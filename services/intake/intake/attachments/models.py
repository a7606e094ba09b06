"""Attachments' metadata and, for the PostgreSQL store, their bytes."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base


class Attachment(Base, kw_only=True):
    __tablename__ = "ticket_attachment"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    ticket_id: Mapped[UUID] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    filename: Mapped[str]
    content_type: Mapped[str]
    size: Mapped[int]
    sha256: Mapped[str]
    storage_key: Mapped[str]
    uploaded_by: Mapped[UUID | None] = mapped_column(default=None)
    at: Mapped[datetime]


class AttachmentBlob(Base, kw_only=True):
    """The PostgreSQL attachment store's bytes, apart from the metadata so listing never reads them."""

    __tablename__ = "attachment_blob"

    key: Mapped[str] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
