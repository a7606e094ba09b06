"""Duplicates: a ticket closed as a duplicate of another ends `cancelled` with the reason "duplicate of
<number>" (no state of its own), linked to the ticket that carries on. The link lets the duplicate's requester
read the survivor (`service.visible`) and shows on both tickets; `ticket.cancelled` names the survivor so that
dispatch stops the clocks, notifications tell the requester the number and reporting counts no work."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.tickets import service
from intake.tickets.models import Ticket, TicketDuplicate, TicketEvent
from intake.tickets.schemas import TicketRef
from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.errors import RuleViolation

MARKERS = (Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ADMIN)


async def mark_duplicate(session: AsyncSession, principal: Principal, ticket_id: UUID, of_number: str) -> Ticket:
    service._require(principal, *MARKERS, what="marking a duplicate")
    survivor = (await session.execute(select(Ticket).where(Ticket.number == of_number))).scalar()
    if survivor is None:
        raise RuleViolation(f"no ticket numbered {of_number}", field="of_number", code="ticket.number_unknown")
    if survivor.id == ticket_id:
        raise RuleViolation(
            "a ticket cannot be a duplicate of itself", field="of_number", code="ticket.duplicate_of_itself"
        )
    if survivor.status == "cancelled":
        raise RuleViolation(
            f"ticket {survivor.number} is cancelled; name the ticket that carries on",
            field="of_number",
            code="ticket.duplicate_of_cancelled",
        )
    ticket = await service.cancel(
        session, principal, ticket_id, f"duplicate of {survivor.number}", duplicate_of=survivor
    )
    at = service.now()
    session.add(TicketDuplicate(duplicate_id=ticket.id, survivor_id=survivor.id, marked_by=principal.subject, at=at))
    # The survivor's timeline records what was merged into it (a line, not a change: no version, no event).
    session.add(
        TicketEvent(
            ticket_id=survivor.id,
            kind="duplicate_merged",
            actor_id=principal.subject,
            actor_name=principal.username,
            detail={"duplicate": ticket.number},
            at=at,
        )
    )
    return ticket


async def links(
    session: AsyncSession, principal: Principal, ticket_id: UUID
) -> tuple[TicketRef | None, list[TicketRef]]:
    """What this ticket duplicates, and which tickets duplicate it (those the caller may read)."""
    survivor = (
        await session.execute(
            select(Ticket.id, Ticket.number)
            .join(TicketDuplicate, TicketDuplicate.survivor_id == Ticket.id)
            .where(TicketDuplicate.duplicate_id == ticket_id)
        )
    ).first()
    duplicates = await session.execute(
        select(Ticket.id, Ticket.number)
        .join(TicketDuplicate, TicketDuplicate.duplicate_id == Ticket.id)
        .where(TicketDuplicate.survivor_id == ticket_id, service.visible(principal))
        .order_by(Ticket.number)
    )
    return (
        TicketRef(id=survivor.id, number=survivor.number) if survivor else None,
        [TicketRef(id=row.id, number=row.number) for row in duplicates],
    )
