"""`Idempotency-Key` on registering an asset (SPEC §7): a client that retries after a time-out gets the asset
it already registered, not a 409 for its own tag. The key is claimed in the registering transaction; a
concurrent retry's claim waits on the primary key until the first commits, then answers with the same asset."""

import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Text, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from assets.db import Base
from opsdesk_shared.auth import Principal
from opsdesk_shared.errors import Conflict, RuleViolation


class IdempotentRequest(Base):
    __tablename__ = "idempotent_request"

    principal_id: Mapped[UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    request_hash: Mapped[str] = mapped_column(Text)
    asset_id: Mapped[UUID | None]
    created_at: Mapped[datetime]


_CLAIM = text(
    "INSERT INTO idempotent_request (principal_id, key, request_hash, created_at) "
    "VALUES (:principal, :key, :hash, now()) ON CONFLICT DO NOTHING RETURNING key"
)


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


async def claim(session: AsyncSession, principal: Principal, key: str, body_hash: str) -> UUID | None:
    """None: the key is ours, go ahead and register. An asset id: this request was already served."""
    claimed = await session.scalar(_CLAIM, {"principal": principal.subject, "key": key, "hash": body_hash})
    if claimed is not None:
        return None
    earlier = await session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.principal_id == principal.subject, IdempotentRequest.key == key
        )
    )
    if earlier is None or earlier.asset_id is None:
        raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly")
    if earlier.request_hash != body_hash:
        raise RuleViolation("this Idempotency-Key was used with a different request body", field="Idempotency-Key")
    return earlier.asset_id


async def record(session: AsyncSession, principal: Principal, key: str, asset_id: UUID) -> None:
    await session.execute(
        text("UPDATE idempotent_request SET asset_id = :asset WHERE principal_id = :principal AND key = :key"),
        {"asset": asset_id, "principal": principal.subject, "key": key},
    )
