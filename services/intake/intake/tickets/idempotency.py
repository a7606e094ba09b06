"""`Idempotency-Key` on ticket creation: a client that retries (a time-out, a double click, a flaky
3G link at a police station) gets the ticket it already created, never a second one.

The key is claimed in the creating transaction. A concurrent retry's claim waits on the unique index
until the first commits, then sees the key and answers with the same ticket."""

import hashlib
import json
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.tickets.models import IdempotentRequest
from opsdesk_shared.auth import Principal
from opsdesk_shared.errors import Conflict, RuleViolation

_CLAIM = text(
    "INSERT INTO idempotent_request (principal_id, key, request_hash, created_at) "
    "VALUES (:principal, :key, :hash, now()) ON CONFLICT DO NOTHING RETURNING key"
)


def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


async def claim(session: AsyncSession, principal: Principal, key: str, body_hash: str) -> UUID | None:
    """None: the key is ours, go ahead and create. A ticket id: this request was already served."""
    claimed = await session.scalar(_CLAIM, {"principal": principal.subject, "key": key, "hash": body_hash})
    if claimed is not None:
        return None
    earlier = await session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.principal_id == principal.subject, IdempotentRequest.key == key
        )
    )
    if earlier is None or earlier.ticket_id is None:
        raise Conflict(
            "a request with this Idempotency-Key is still in progress; retry shortly", code="idempotency.in_progress"
        )
    if earlier.request_hash != body_hash:
        raise RuleViolation(
            "this Idempotency-Key was used with a different request body",
            field="Idempotency-Key",
            code="idempotency.key_reused",
        )
    return earlier.ticket_id


async def record(session: AsyncSession, principal: Principal, key: str, ticket_id: UUID) -> None:
    await session.execute(
        text("UPDATE idempotent_request SET ticket_id = :ticket WHERE principal_id = :principal AND key = :key"),
        {"ticket": ticket_id, "principal": principal.subject, "key": key},
    )
