"""The technical ledger (技术台帐): an asset's configuration facts (addresses, firmware and software
versions, configuration notes) as an append-only history. A fact's current value is its newest entry;
nothing is ever updated or deleted (the database refuses it, see assets_0001)."""

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base


class TechnicalEntry(Base):
    __tablename__ = "technical_entry"
    __table_args__ = (Index("technical_entry_asset_id_fact_idx", "asset_id", "fact", "recorded_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)
    asset_id: Mapped[UUID] = mapped_column(ForeignKey("asset.id"))
    fact: Mapped[str] = mapped_column(Text)
    # None: the fact was removed (an address given back); the history still shows what it was.
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[UUID]
    recorded_by_name: Mapped[str] = mapped_column(Text)
