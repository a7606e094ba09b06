"""Intake's use cases. Each runs inside the caller's unit of work and never commits by itself."""

import base64
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.models import Ticket, TicketEvent
from intake.numbering import next_ticket_number
from intake.schemas import TicketCreate
from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.errors import Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event
from opsdesk_shared.phones import normalise_phone

PRODUCER = "intake"


async def create_ticket(session: AsyncSession, principal: Principal, cmd: TicketCreate, *, phone_region: str) -> Ticket:
    if principal.has_any(Role.REQUESTER) and not principal.has_any(Role.HOTLINE_OPERATOR, Role.DISPATCHER):
        if principal.unit_id != cmd.unit_id:
            raise Forbidden("requesters file tickets for their own unit only", field="unit_id")
    now = datetime.now(UTC)
    ticket = Ticket(
        number=await next_ticket_number(session, now),
        title=cmd.title,
        description=cmd.description,
        category=cmd.category.value,
        priority=cmd.priority.value,
        status="new",
        unit_id=cmd.unit_id,
        requester_name=cmd.requester_name,
        requester_phone=normalise_phone(cmd.requester_phone, phone_region, field="requester_phone"),
        channel=cmd.channel.value,
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="created",
            actor_id=principal.subject,
            actor_name=principal.username,
            detail={"channel": ticket.channel, "status": "new"},
            at=now,
        )
    )
    await session.flush()
    await add_event(
        session,
        TicketCreated(
            ticket_id=ticket.id,
            number=ticket.number,
            title=ticket.title,
            category=ticket.category,
            priority=ticket.priority,
            status=ticket.status,
            unit_id=ticket.unit_id,
            channel=ticket.channel,
            requester_name=ticket.requester_name,
            requester_phone=ticket.requester_phone,
            created_at=ticket.created_at,
            created_by=principal.subject,
        ),
        producer=PRODUCER,
    )
    return ticket


def _visible(principal: Principal):  # type: ignore[no-untyped-def]
    """Requesters see their own unit's tickets; staff see all. (Unit subtrees arrive with unit events.)"""
    if principal.has_any(*(r for r in Role if r != Role.REQUESTER)):
        return True
    return Ticket.unit_id == principal.unit_id


async def get_ticket(session: AsyncSession, principal: Principal, ticket_id: UUID) -> Ticket:
    ticket = (await session.execute(select(Ticket).where(Ticket.id == ticket_id, _visible(principal)))).scalar()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


async def timeline(session: AsyncSession, ticket_id: UUID) -> list[TicketEvent]:
    rows = await session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at, TicketEvent.id)
    )
    return list(rows.scalars())


def _encode_cursor(ticket: Ticket) -> str:
    return base64.urlsafe_b64encode(f"{ticket.created_at.isoformat()}|{ticket.id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        at, tid = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(at), UUID(tid)
    except ValueError as exc:
        raise RuleViolation("cursor: not a cursor this API handed out", field="cursor") from exc


async def list_tickets(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: str | None, status: str | None
) -> tuple[list[Ticket], str | None]:
    query = select(Ticket).where(_visible(principal))
    if status:
        query = query.where(Ticket.status == status)
    if cursor:
        at, tid = _decode_cursor(cursor)
        query = query.where((Ticket.created_at < at) | ((Ticket.created_at == at) & (Ticket.id < tid)))
    rows = list(
        (await session.execute(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit + 1))).scalars()
    )
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor
