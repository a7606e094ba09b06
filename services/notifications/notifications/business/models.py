"""Business SMS requests from `system` clients (the residence-permit system and the like)."""

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from notifications.base import Base


class SmsRequest(Base, kw_only=True):
    """A business request's `Idempotency-Key`: the same key from the same client gets the same ids."""

    __tablename__ = "sms_request"

    client_id: Mapped[UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(primary_key=True)
    request_hash: Mapped[str]
    message_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime]
