from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope
from reporting.models import StoredEvent


async def store(session: AsyncSession, envelope: Envelope) -> bool:
    """Keep the event; False when it was already kept (a redelivery)."""
    stmt = (
        insert(StoredEvent)
        .values(
            id=envelope.id,
            type=envelope.type,
            occurred_at=envelope.occurred_at,
            producer=envelope.producer,
            envelope=envelope.model_dump(mode="json"),
            received_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    # An INSERT's result is a cursor result (it has a rowcount); SQLAlchemy's stubs type it generically.
    result = cast(CursorResult[Any], await session.execute(stmt))
    return result.rowcount == 1
