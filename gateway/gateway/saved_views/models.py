from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from opsdesk_shared.db import timestamp


class SavedView(SQLModel, table=True):
    """One person's named filter of one list page; `query` is the page's own query string, replayed as is."""

    __tablename__ = "saved_view"
    __table_args__ = (sa.UniqueConstraint("user_id", "page", "name", name="saved_view_user_page_name_key"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    user_id: UUID = Field(foreign_key="app_user.id", index=True)
    page: str
    name: str
    query: str
    created_at: datetime = Field(sa_column=timestamp(nullable=False))
