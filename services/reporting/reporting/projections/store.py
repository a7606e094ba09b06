from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope

# A batch's events in one statement (a Core insert of arrays: the ORM's per-row insert cost more than the
# statement); the ids returned are those not kept before.
_STORE = text(
    "INSERT INTO stored_event (id, type, occurred_at, producer, envelope, received_at) "
    "SELECT e.id, e.type, e.occurred_at, e.producer, CAST(e.envelope AS jsonb), :received_at "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS text[]), CAST(:occurred AS timestamptz[]),"
    " CAST(:producers AS text[]), CAST(:envelopes AS text[])) AS e(id, type, occurred_at, producer, envelope) "
    "ON CONFLICT (id) DO NOTHING RETURNING id"
)


async def store_all(session: AsyncSession, envelopes: Sequence[Envelope]) -> set[UUID]:
    """Keep the events; returns the ids of those not kept already (a redelivery is left out)."""
    if not envelopes:
        return set()
    result = await session.execute(
        _STORE,
        {
            "ids": [e.id for e in envelopes],
            "types": [e.type for e in envelopes],
            "occurred": [e.occurred_at for e in envelopes],
            "producers": [e.producer for e in envelopes],
            "envelopes": [e.model_dump_json() for e in envelopes],
            "received_at": datetime.now(UTC),
        },
    )
    return {row.id for row in result}


async def store(session: AsyncSession, envelope: Envelope) -> bool:
    """Keep the event; False when it was already kept (a redelivery)."""
    return envelope.id in await store_all(session, [envelope])
