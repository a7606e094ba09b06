"""Writing events into the outbox, inside the caller's transaction.

The row and the state change commit together or not at all; `pg_notify` (delivered at commit) wakes
the relay so an event usually leaves within milliseconds, while the relay's polling covers a lost wake-up.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import CTE, ColumnElement, Text, bindparam, cast, column, func, insert, literal, table, text
from sqlalchemy.dialects.postgresql import JSONB, array
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
_OUTBOX = table("outbox_message", column("id"), column("type"), column("envelope", JSONB))


def insert_cte(name: str, *, patch: tuple[str, ColumnElement[Any]] | None = None) -> CTE:
    """The outbox row as a CTE of a caller's own statement: a hot-path write and its event in one round trip
    (intake's tickets/filing.py). Binds `{name}_id`, `{name}_type` and `{name}_envelope` (`bound(envelope,
    name)` makes them); `patch` sets one field of the event's data to a value the statement computes (the
    ticket's number, where the statement takes it). The relay is woken by selecting `wake_relay()` in the
    same statement."""
    envelope: ColumnElement[Any] = cast(bindparam(f"{name}_envelope", type_=Text), JSONB)
    if patch is not None:
        field, value = patch
        path = array([literal("data", Text), literal(field, Text)])
        envelope = func.jsonb_set(envelope, path, func.to_jsonb(value), type_=JSONB)
    return (
        insert(_OUTBOX)
        .values(id=bindparam(f"{name}_id"), type=bindparam(f"{name}_type", type_=Text), envelope=envelope)
        .returning(_OUTBOX.c.id)
        .cte(name)
    )


def wake_relay() -> ColumnElement[Any]:
    return func.pg_notify(OUTBOX_CHANNEL, "")


def bound(envelope: Envelope, name: str) -> dict[str, Any]:
    """The parameters of `insert_cte(name)` for `envelope`."""
    return {f"{name}_id": envelope.id, f"{name}_type": envelope.type, f"{name}_envelope": envelope.model_dump_json()}


def wrap(event: Event, *, producer: str) -> Envelope:
    """The envelope `add_event` would write, for a statement of the caller's (`insert_cte`)."""
    return Envelope.wrap(event, producer=producer, correlation_id=correlation_id.get())


async def add_event(session: AsyncSession, event: Event, *, producer: str) -> Envelope:
    envelope = wrap(event, producer=producer)
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
