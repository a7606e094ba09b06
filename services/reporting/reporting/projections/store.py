from datetime import UTC, datetime

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
    return (await session.execute(stmt)).rowcount == 1
