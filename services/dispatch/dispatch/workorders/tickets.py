"""Dispatch's copy of a ticket, and what intake's ticket events do to its clocks and work orders."""

from typing import cast
from uuid import UUID

from sqlalchemy import Table, bindparam, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.sla import service as sla
from dispatch.sla.models import SlaPolicy
from dispatch.workorders.models import DispatchTicket, WorkOrder
from dispatch.workorders.states import ACTIVE
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged, TicketUpdated
from opsdesk_shared.messaging import ordering

FINISHED = ("resolved", "closed", "cancelled")


_COPY = cast(Table, DispatchTicket.__table__)
# The copy and the SLA policies that may match it, in one statement and one round trip; built once and compiled
# once (an insert built per event cost more CPU than its execution: py-spy under `make bench`). Parameters are
# named apart from the columns, so that SQLAlchemy binds no column by its name in the policies' query.
_RECORD_AND_MATCH = sla.POLICY_CANDIDATES.add_cte(
    insert(_COPY)
    .values({c.name: bindparam(f"copy_{c.name}", type_=c.type) for c in _COPY.columns})
    .on_conflict_do_nothing(index_elements=["id"])
    .cte("recorded")
)


async def record_ticket(session: AsyncSession, ticket: TicketCreated) -> SlaPolicy | None:
    """Records intake's new ticket (once, however often its event comes) and returns the SLA policy that
    matches it, None when none does."""
    copy = {
        "id": ticket.ticket_id,
        "number": ticket.number,
        "title": ticket.title,
        "category": ticket.category,
        "subcategory": ticket.subcategory,
        "priority": ticket.priority,
        "unit_id": ticket.unit_id,
        "status": ticket.status,
        "asset_tag": ticket.asset_tag,
        "location": ticket.location,
        "created_at": ticket.created_at,
        "applied_version": ticket.aggregate_version,
    }
    rows = await session.execute(
        _RECORD_AND_MATCH,
        {
            **{f"copy_{name}": value for name, value in copy.items()},
            "policy_category": ticket.category,
            "policy_priority": ticket.priority,
        },
    )
    return sla.most_specific(rows.scalars())


async def get_ticket(session: AsyncSession, ticket_id: UUID, *, lock: bool = False) -> DispatchTicket | None:
    stmt = select(DispatchTicket).where(DispatchTicket.id == ticket_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar()


async def apply_update(session: AsyncSession, envelope: Envelope) -> None:
    """A reclassification: the copy takes the ticket's new classification (the queue, suggestions and
    reports read it) and the clocks follow the policy that now matches, from the change on. In the ticket's
    own order, like status changes: an older update arriving late must not undo a newer one."""
    update = envelope.parse(TicketUpdated)
    ticket = await get_ticket(session, update.ticket_id, lock=True)
    if ticket is None:
        return  # its ticket.created has not arrived: the clocks start from it, under the newest event's terms
    order = ordering.compare(update.aggregate_version, ticket.applied_version)
    if order is ordering.Order.STALE:
        await ordering.record_stale(
            session,
            envelope,
            aggregate="ticket",
            aggregate_id=ticket.id,
            event_version=update.aggregate_version,
            applied_version=ticket.applied_version,
        )
        return
    if order is ordering.Order.SAME:
        return
    ticket.title, ticket.category, ticket.subcategory = update.title, update.category, update.subcategory
    ticket.priority, ticket.unit_id, ticket.asset_tag = update.priority, update.unit_id, update.asset_tag
    ticket.applied_version = update.aggregate_version
    await sla.retarget_ticket(
        session,
        update.ticket_id,
        category=update.category,
        priority=update.priority,
        at=update.updated_at,
        number=update.number,
    )


async def apply_status_change(session: AsyncSession, envelope: Envelope) -> None:
    """Intake's life cycle drives the clocks: pending pauses them, leaving pending resumes them, a
    resolution made at intake (remote, first call) stops them, cancelling the ticket cancels them.

    Only in the ticket's own order: a change older than the last one applied (a resume overtaken by its
    pend, say) is recorded and ignored, or it would pause the clocks of a ticket being worked on."""
    change = envelope.parse(TicketStatusChanged)
    ticket = await get_ticket(session, change.ticket_id, lock=True)
    if ticket is not None:
        order = ordering.compare(change.aggregate_version, ticket.applied_version)
        if order is not ordering.Order.NEWER:
            if order is ordering.Order.STALE:
                await ordering.record_stale(
                    session,
                    envelope,
                    aggregate="ticket",
                    aggregate_id=ticket.id,
                    event_version=change.aggregate_version,
                    applied_version=ticket.applied_version,
                )
            return
        ticket.status, ticket.applied_version = change.to_status, change.aggregate_version
    number, at = change.number, change.changed_at
    if change.to_status == "pending":
        await sla.pause_ticket(session, change.ticket_id, reason=change.reason or "pending", at=at, number=number)
        return
    if change.from_status == "pending":
        await sla.resume_ticket(session, change.ticket_id, at=at, number=number)
    if change.to_status == "reopened":
        await sla.reopen_ticket(session, change.ticket_id, at=at, number=number)
        return
    if change.to_status in ("resolved", "closed"):
        await sla.stop_clocks(session, change.ticket_id, ["response", "resolution"], at=at, number=number)
        # Nobody went on site, so the arrival target no longer applies (SPEC §5).
        await sla.stop_clocks(
            session, change.ticket_id, ["arrival"], at=at, number=number, cancel_reason="resolved remotely"
        )
    elif change.to_status == "cancelled":
        await sla.stop_clocks(
            session, change.ticket_id, sla.METRICS, at=at, number=number, cancel_reason="ticket cancelled"
        )
        live = await session.execute(
            select(WorkOrder).where(WorkOrder.ticket_id == change.ticket_id, WorkOrder.status.in_(ACTIVE))
        )
        for work_order in live.scalars():
            work_order.status = "cancelled"
