"""Writing events into the outbox, inside the caller's transaction.

The row and the state change commit together or not at all; `pg_notify` (delivered at commit) wakes
the relay so an event usually leaves within milliseconds, while the relay's polling covers a lost wake-up.
"""

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope, Event
from opsdesk_shared.messaging.tables import OUTBOX_CHANNEL
from opsdesk_shared.observability import correlation_id

_INSERT = text("INSERT INTO outbox_message (id, type, envelope) VALUES (:id, :type, CAST(:envelope AS jsonb))")
# One event and its wake-up in one round trip (every write of every service adds one).
_INSERT_AND_NOTIFY = text(
    "WITH added AS (INSERT INTO outbox_message (id, type, envelope) "
    "VALUES (:id, :type, CAST(:envelope AS jsonb)) RETURNING 1) "
    "SELECT pg_notify(:channel, '') FROM added"
)


async def add_event(session: AsyncSession, event: Event, *, producer: str) -> Envelope:
    envelope = Envelope.wrap(event, producer=producer, correlation_id=correlation_id.get())
    await session.execute(
        _INSERT_AND_NOTIFY,
        {"id": envelope.id, "type": envelope.type, "envelope": envelope.model_dump_json(), "channel": OUTBOX_CHANNEL},
    )
    return envelope


async def add_events(session: AsyncSession, events: Sequence[Event], *, producer: str) -> list[Envelope]:
    """Many events in one statement and one wake-up: for batch work such as a timer firing hundreds of clocks."""
    if not events:
        return []
    envelopes = [Envelope.wrap(e, producer=producer, correlation_id=correlation_id.get()) for e in events]
    await session.execute(
        _INSERT, [{"id": env.id, "type": env.type, "envelope": env.model_dump_json()} for env in envelopes]
    )
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL})
    return envelopes
