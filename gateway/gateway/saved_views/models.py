from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from gateway.base import Base


class SavedView(Base, kw_only=True):
    """One person's named filter of one list page; `query` is the page's own query string, replayed as is."""

    __tablename__ = "saved_view"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "page", "name", name="saved_view_user_page_name_key"),
        sa.Index("saved_view_user_id_idx", "user_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default_factory=uuid4)
    user_id: Mapped[UUID] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"))
    page: Mapped[str]
    name: Mapped[str]
    query: Mapped[str]
    created_at: Mapped[datetime]
