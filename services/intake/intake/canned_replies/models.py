"""Stock answers operators pick while commenting."""

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy.orm import Mapped, mapped_column

from intake.base import Base


class CannedReply(Base, kw_only=True):
    """A stock answer (常用回复) operators and dispatchers pick while commenting; admins keep them."""

    __tablename__ = "canned_reply"

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    title: Mapped[str] = mapped_column(unique=True)
    body: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
