"""Stock answers operators pick while commenting."""

from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class CannedReply(SQLModel, table=True):
    """A stock answer (常用回复) operators and dispatchers pick while commenting; admins keep them."""

    __tablename__ = "canned_reply"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    body: str
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
    updated_at: datetime = Field(sa_column=timestamp(nullable=False))
