"""Ticket facts from intake's `ticket.*` and dispatch's `workorder.assigned` / `workorder.arrived`.

Order-proof: the newest status wins by its own timestamp, first resolution and first arrival are the
earliest seen, the rating is the latest close's.
"""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.dispatch import WorkOrderArrived, WorkOrderAssigned
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import (
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketReopened,
    TicketResolved,
    TicketStatusChanged,
    TicketUpdated,
)
from reporting.periods import local_day

# The classification (title, category, priority, unit) is the creation's unless a newer reclassification
# was folded first (`classified_version`).
_KEEP_NEWER = "CASE WHEN f.classified_version > EXCLUDED.classified_version THEN f.{0} ELSE EXCLUDED.{0} END"
_CREATED = text(
    "INSERT INTO ticket_fact AS f (ticket_id, number, title, category, priority, channel, unit_id, created_at, day,"
    " status, status_changed_at, classified_version, asset_id, asset_tag) "
    "VALUES (:id, :number, :title, :category, :priority, :channel, :unit_id, :at, :day, :status, :at, :version,"
    " :asset_id, :asset_tag) "
    "ON CONFLICT (ticket_id) DO UPDATE SET number = EXCLUDED.number,"
    # The asset: the creation's, unless a newer reclassification named another tag (its id is then looked up
    # by tag when reported: `ticket.updated` carries no asset id).
    " asset_tag = CASE WHEN f.classified_version > EXCLUDED.classified_version THEN f.asset_tag"
    "             ELSE EXCLUDED.asset_tag END,"
    " asset_id = CASE WHEN f.classified_version <= EXCLUDED.classified_version"
    "            OR f.asset_tag IS NOT DISTINCT FROM EXCLUDED.asset_tag THEN EXCLUDED.asset_id END,"
    + ",".join(f" {c} = {_KEEP_NEWER.format(c)}" for c in ("title", "category", "priority", "unit_id"))
    + ", channel = EXCLUDED.channel, created_at = EXCLUDED.created_at, day = EXCLUDED.day,"
    " classified_version = greatest(f.classified_version, EXCLUDED.classified_version),"
    " status = CASE WHEN f.status_changed_at IS NULL OR f.status_changed_at < EXCLUDED.created_at"
    "          THEN EXCLUDED.status ELSE f.status END,"
    " status_changed_at = greatest(f.status_changed_at, EXCLUDED.created_at)"
)
_UPDATED = text(
    "INSERT INTO ticket_fact AS f (ticket_id, number, title, category, priority, unit_id, classified_version,"
    " asset_tag) VALUES (:id, :number, :title, :category, :priority, :unit_id, :version, :asset_tag) "
    "ON CONFLICT (ticket_id) DO UPDATE SET title = EXCLUDED.title, category = EXCLUDED.category,"
    " priority = EXCLUDED.priority, unit_id = EXCLUDED.unit_id, classified_version = EXCLUDED.classified_version,"
    " asset_id = CASE WHEN f.asset_tag IS NOT DISTINCT FROM EXCLUDED.asset_tag THEN f.asset_id END,"
    " asset_tag = EXCLUDED.asset_tag "
    "WHERE f.classified_version < EXCLUDED.classified_version"
)
_STATUS = text(
    "INSERT INTO ticket_fact AS f (ticket_id, number, status, status_changed_at) VALUES (:id, :number, :status, :at) "
    "ON CONFLICT (ticket_id) DO UPDATE SET status = EXCLUDED.status, status_changed_at = EXCLUDED.status_changed_at "
    "WHERE f.status_changed_at IS NULL OR f.status_changed_at <= EXCLUDED.status_changed_at"
)
_RESOLVED = text(
    "INSERT INTO ticket_fact AS f (ticket_id, resolved_at, resolved_remote) VALUES (:id, :at, :remote) "
    "ON CONFLICT (ticket_id) DO UPDATE SET resolved_at = EXCLUDED.resolved_at,"
    " resolved_remote = EXCLUDED.resolved_remote "
    "WHERE f.resolved_at IS NULL OR f.resolved_at > EXCLUDED.resolved_at"
)
_CLOSED = text(
    "INSERT INTO ticket_fact AS f (ticket_id, closed_at, rating) VALUES (:id, :at, :rating) "
    "ON CONFLICT (ticket_id) DO UPDATE SET closed_at = EXCLUDED.closed_at, rating = EXCLUDED.rating "
    "WHERE f.closed_at IS NULL OR f.closed_at < EXCLUDED.closed_at"
)
_REOPENED = text(
    "INSERT INTO ticket_fact AS f (ticket_id, reopen_count) VALUES (:id, 1) "
    "ON CONFLICT (ticket_id) DO UPDATE SET reopen_count = f.reopen_count + 1"
)
_DUPLICATE = text(
    "INSERT INTO ticket_fact AS f (ticket_id, duplicate) VALUES (:id, true) "
    "ON CONFLICT (ticket_id) DO UPDATE SET duplicate = true"
)
_ASSIGNED = text(
    "INSERT INTO ticket_fact AS f (ticket_id, assigned_count) VALUES (:id, 1) "
    "ON CONFLICT (ticket_id) DO UPDATE SET assigned_count = f.assigned_count + 1"
)
_ARRIVED = text(
    "INSERT INTO ticket_fact AS f (ticket_id, first_arrived_at) VALUES (:id, :at) "
    "ON CONFLICT (ticket_id) DO UPDATE SET first_arrived_at = EXCLUDED.first_arrived_at "
    "WHERE f.first_arrived_at IS NULL OR f.first_arrived_at > EXCLUDED.first_arrived_at"
)


async def created(session: AsyncSession, envelope: Envelope) -> UUID:
    t = envelope.parse(TicketCreated)
    await session.execute(
        _CREATED,
        {
            "id": t.ticket_id,
            "number": t.number,
            "title": t.title,
            "category": t.category,
            "priority": t.priority,
            "channel": t.channel,
            "unit_id": t.unit_id,
            "at": t.created_at,
            "day": local_day(t.created_at),
            "status": t.status,
            "version": t.aggregate_version,
            "asset_id": t.asset_id,
            "asset_tag": t.asset_tag,
        },
    )
    return t.ticket_id


async def updated(session: AsyncSession, envelope: Envelope) -> UUID:
    """A reclassification: the ticket counts under its new unit, category and priority from now on, in every
    period it falls in (it was filed wrong; the report should say where it belonged)."""
    u = envelope.parse(TicketUpdated)
    await session.execute(
        _UPDATED,
        {
            "id": u.ticket_id,
            "number": u.number,
            "title": u.title,
            "category": u.category,
            "priority": u.priority,
            "unit_id": u.unit_id,
            "version": u.aggregate_version,
            "asset_tag": u.asset_tag,
        },
    )
    return u.ticket_id


async def status_changed(session: AsyncSession, envelope: Envelope) -> UUID:
    c = envelope.parse(TicketStatusChanged)
    await session.execute(_STATUS, {"id": c.ticket_id, "number": c.number, "status": c.to_status, "at": c.changed_at})
    return c.ticket_id


async def resolved(session: AsyncSession, envelope: Envelope) -> UUID:
    r = envelope.parse(TicketResolved)
    await session.execute(_RESOLVED, {"id": r.ticket_id, "at": r.at, "remote": bool(r.remote)})
    return r.ticket_id


async def closed(session: AsyncSession, envelope: Envelope) -> UUID:
    c = envelope.parse(TicketClosed)
    await session.execute(_CLOSED, {"id": c.ticket_id, "at": c.at, "rating": c.rating})
    return c.ticket_id


async def reopened(session: AsyncSession, envelope: Envelope) -> UUID:
    r = envelope.parse(TicketReopened)
    await session.execute(_REOPENED, {"id": r.ticket_id})
    return r.ticket_id


async def cancelled(session: AsyncSession, envelope: Envelope) -> UUID | None:
    """Only a duplicate changes the facts (the status comes with `ticket.status_changed`)."""
    c = envelope.parse(TicketCancelled)
    if c.duplicate_of is None:
        return None
    await session.execute(_DUPLICATE, {"id": c.ticket_id})
    return c.ticket_id


async def assigned(session: AsyncSession, envelope: Envelope) -> UUID:
    a = envelope.parse(WorkOrderAssigned)
    await session.execute(_ASSIGNED, {"id": a.ticket_id})
    return a.ticket_id


async def arrived(session: AsyncSession, envelope: Envelope) -> UUID:
    a = envelope.parse(WorkOrderArrived)
    await session.execute(_ARRIVED, {"id": a.ticket_id, "at": a.at})
    return a.ticket_id


HANDLERS = {
    TicketCreated.type: created,
    TicketUpdated.type: updated,
    TicketStatusChanged.type: status_changed,
    TicketResolved.type: resolved,
    TicketClosed.type: closed,
    TicketReopened.type: reopened,
    TicketCancelled.type: cancelled,
    WorkOrderAssigned.type: assigned,
    WorkOrderArrived.type: arrived,
}
