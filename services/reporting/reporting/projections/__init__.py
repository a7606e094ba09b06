"""Folding events into the read model (models.py says what the tables are).

Every event is first kept in `stored_event` (its id makes a redelivery a no-op), then applied by the
handler for its type. A consumer's batch is kept in one insert, and the locks of its tickets taken in one
statement, before its first event is applied (`prepare`), rather than two round trips per event.
Handlers are written to give the same facts in any arrival order. An event that
changes a ticket's facts locks the ticket first; the ticket's share of the rollups is read before and
after the change, and the differences of all the events of a transaction (a consumer's batch) are summed
and applied to the rollups at its end, by `finish`, before the commit (rollups.py).
"""

from collections.abc import Awaitable, Callable
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketCancelled, TicketCreated, TicketUpdated
from reporting.projections import assets, availability, clocks, field_work, inspections, tickets, traffic, units, work
from reporting.projections.rollups import DURATIONS, ROLLUPS, SLA, TICKETS, Change, Rollup, apply_changes, ticket_share
from reporting.projections.store import store_all

Handler = Callable[[AsyncSession, Envelope], Awaitable[UUID | None]]
# The rollup changes of the transaction's events so far, applied together by `finish`.
_PENDING_CHANGES = "reporting.rollup_changes"
# The ids of the transaction's events that `prepare` kept (not seen before) and whose tickets it locked.
_PREPARED = "reporting.prepared_events"
# The same keys as `opsdesk_shared.db.advisory_lock`, all in one round trip, in key order (so two
# transactions locking overlapping tickets cannot deadlock).
_LOCK_ALL = text(
    "SELECT pg_advisory_xact_lock(hashtextextended(k.key, 0)) "
    "FROM (SELECT DISTINCT key FROM unnest(CAST(:keys AS text[])) AS u(key) ORDER BY key) AS k"
)

HANDLERS: dict[str, Handler] = {
    **tickets.HANDLERS,
    **clocks.HANDLERS,
    **work.HANDLERS,
    **traffic.HANDLERS,
    **units.HANDLERS,
    **assets.HANDLERS,
    **availability.HANDLERS,
    **inspections.HANDLERS,
    **field_work.HANDLERS,
}


# The rollups whose share of a ticket each event can change. A clock's events touch only its SLA figures;
# a ticket's later events neither its volume nor the grouping of its clocks, both fixed at its creation,
# except a reclassification, which moves all of them to its new unit, category and priority.
ROLLUPS_CHANGED_BY: dict[str, tuple[Rollup, ...]] = {
    **{event_type: (SLA,) for event_type in clocks.HANDLERS},
    **{event_type: (TICKETS, DURATIONS) for event_type in tickets.HANDLERS},
    TicketCreated.type: ROLLUPS,
    TicketUpdated.type: ROLLUPS,
    # A duplicate leaves the clocks' and the units' figures (it is no work), not only the tickets'.
    TicketCancelled.type: ROLLUPS,
}


def _ticket_id(envelope: Envelope) -> UUID | None:
    raw = envelope.data.get("ticket_id")
    return UUID(str(raw)) if raw else None


async def apply(session: AsyncSession, envelope: Envelope) -> UUID | None:
    """The event's effect on the facts alone (the rebuild recomputes rollups once at the end)."""
    handler = HANDLERS.get(envelope.type)
    return await handler(session, envelope) if handler else None


def _locked_ticket(envelope: Envelope) -> UUID | None:
    """The ticket whose facts and rollup share the event changes (locked before it is applied)."""
    if envelope.type not in HANDLERS or envelope.type not in ROLLUPS_CHANGED_BY:
        return None
    return _ticket_id(envelope)


async def prepare(session: AsyncSession, envelopes: list[Envelope]) -> None:
    """Keeps the transaction's events and locks their tickets, each in one statement, before any is applied.

    The ticket locks serialise a ticket's events, so e.g. `sla.started` and a late `ticket.created` cannot
    both miss each other's uncommitted rows, and the share read before a change is still true at the change.
    They are held to the commit either way; taken together up front they cost one round trip a batch."""
    kept = await store_all(session, envelopes)
    session.info.setdefault(_PREPARED, set()).update(kept)
    keys = [f"ticket:{ticket_id}" for e in envelopes if e.id in kept and (ticket_id := _locked_ticket(e))]
    if keys:
        await session.execute(_LOCK_ALL, {"keys": keys})


async def on_event(session: AsyncSession, envelope: Envelope) -> None:
    prepared: set[UUID] = session.info.setdefault(_PREPARED, set())
    if envelope.id not in prepared:  # called without the consumer's `prepare` (one event on its own)
        await prepare(session, [envelope])
    if envelope.id not in prepared:
        return  # seen before
    prepared.discard(envelope.id)
    if envelope.type not in HANDLERS:
        return
    ticket_id = _locked_ticket(envelope)
    rollups = ROLLUPS_CHANGED_BY.get(envelope.type)
    if ticket_id is None or rollups is None:
        await apply(session, envelope)  # SMS counts, costs, attendance: rows of their own, no ticket facts
        return
    before = await ticket_share(session, ticket_id, rollups)
    changed = await apply(session, envelope)
    if changed is not None:
        pending: list[Change] = session.info.setdefault(_PENDING_CHANGES, [])
        pending.append((before, await ticket_share(session, changed, rollups)))


async def finish(session: AsyncSession) -> None:
    """The rollup changes of the transaction's events (a batch, or one), summed and applied in one upsert
    per tier, before the commit. Per event that was a dozen upserts, most of them on the same day's and
    month's rows, for four events per ticket."""
    changes: list[Change] | None = session.info.pop(_PENDING_CHANGES, None)
    if changes:
        await apply_changes(session, changes)
