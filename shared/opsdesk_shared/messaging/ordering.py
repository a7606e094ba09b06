"""Applying an aggregate's events in the order they happened, whatever order they arrive in.

Events of one ticket (user, unit) can overtake each other: two relays publish concurrently, a failed
delivery waits in a retry queue while the next one goes through, a consumer runs on several replicas.
Each such event carries its aggregate's version (`aggregate_version`, counted by the producer in the
same transaction as the change), and each consumer keeps, beside its copy, the version it last applied.
An older event than that is stale: it is recorded in `stale_event` (so an operator can see that it
happened, and how often) and otherwise ignored, because what it would set has already been superseded.

Version 0 is what events written before versions existed carry, and what copies made from them keep:
those are applied in arrival order among themselves, as before; once a versioned event was applied, a
version-0 one is older than it by construction (it was written before the upgrade), so it is stale.
"""

from enum import StrEnum
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import and_, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope

log = structlog.get_logger(__name__)


class Order(StrEnum):
    NEWER = "newer"  # apply it, and remember its version
    SAME = "same"  # this version is applied already (a re-announcement): nothing to do
    STALE = "stale"  # a newer version is applied already: record and ignore


def compare(event_version: int, applied_version: int) -> Order:
    if event_version < applied_version:
        return Order.STALE
    if event_version == applied_version and event_version > 0:
        return Order.SAME
    return Order.NEWER  # newer, or both unversioned (arrival order, as before versions)


_RECORD = text(
    "INSERT INTO stale_event (message_id, event_type, aggregate, aggregate_id, event_version, applied_version)"
    " VALUES (:message_id, :event_type, :aggregate, :aggregate_id, :event_version, :applied_version)"
)


async def record_stale(
    session: AsyncSession,
    envelope: Envelope,
    *,
    aggregate: str,
    aggregate_id: UUID,
    event_version: int,
    applied_version: int,
) -> None:
    """Keeps the ignored event's facts in the handler's transaction (so it is recorded exactly when the
    event counts as handled) and logs it."""
    await session.execute(
        _RECORD,
        {
            "message_id": envelope.id,
            "event_type": envelope.type,
            "aggregate": aggregate,
            "aggregate_id": aggregate_id,
            "event_version": event_version,
            "applied_version": applied_version,
        },
    )
    log.warning(
        "stale event ignored",
        event_id=str(envelope.id),
        event_type=envelope.type,
        aggregate=aggregate,
        aggregate_id=str(aggregate_id),
        event_version=event_version,
        applied_version=applied_version,
    )


async def upsert_in_order(
    session: AsyncSession,
    envelope: Envelope,
    model: Any,
    *,
    aggregate: str,
    key: str,
    key_value: UUID,
    values: dict[str, Any],
    event_version: int,
) -> bool:
    """Creates or updates a consumer's copy of an aggregate (a person, a unit) from one of its events,
    unless a newer version of it is applied already; returns whether it applied the event.

    The guard is the upsert's own `WHERE`, so two replicas applying two versions at once cannot both
    win: `ON CONFLICT DO UPDATE` locks the row whether or not it updates it."""
    table = model.__table__
    applied = table.c.applied_version
    row = insert(table).values({key: key_value, **values, "applied_version": event_version})
    stmt = row.on_conflict_do_update(
        index_elements=[key],
        set_={**values, "applied_version": event_version},
        where=or_(applied < row.excluded.applied_version, and_(applied == 0, row.excluded.applied_version == 0)),
    ).returning(table.c[key])
    if (await session.execute(stmt)).first() is not None:
        return True
    current = int(await session.scalar(select(applied).where(table.c[key] == key_value)) or 0)
    if compare(event_version, current) is Order.STALE:
        await record_stale(
            session,
            envelope,
            aggregate=aggregate,
            aggregate_id=key_value,
            event_version=event_version,
            applied_version=current,
        )
    return False
