"""The hotline's call log, the caller lookup shown while the phone rings, and the phone system's events."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from intake.calls.models import Call
from intake.calls.schemas import CallIn, CallPatch, CtiEventIn
from intake.directory import service as directory
from intake.directory.models import KnownUser
from intake.tickets import lifecycle
from intake.tickets.models import Ticket, TicketEvent
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.intake import CallLogged
from opsdesk_shared.errors import Conflict, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event
from opsdesk_shared.phones import mask_phone, normalise_phone

PRODUCER = "intake"
SCREEN_POP_CHANNEL = "cti_screen_pop"


async def _check_ticket(session: AsyncSession, ticket_id: UUID | None) -> None:
    if ticket_id is not None and await session.get(Ticket, ticket_id) is None:
        raise RuleViolation(f"no ticket {ticket_id}", field="ticket_id", code="call.ticket_unknown")


async def _announce(session: AsyncSession, call: Call) -> None:
    await add_event(
        session,
        CallLogged(
            call_id=call.id,
            caller_phone=call.caller_phone,
            direction=call.direction,
            started_at=call.started_at,
            ended_at=call.ended_at,
            operator_id=call.operator_id,
            outcome=call.outcome,
            ticket_id=call.ticket_id,
        ),
        producer=PRODUCER,
    )


def _on_the_ticket(session: AsyncSession, call: Call, ticket_id: UUID, principal: Principal) -> None:
    """A call about a ticket is part of its history (a follow-up asking for news, the call it was filed
    from): one line in the ticket's timeline when the call is linked to it. Staff only: notes are the
    operator's words."""
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            kind="call_logged",
            actor_id=principal.subject,
            actor_name=principal.username,
            detail={
                "call_id": str(call.id),
                "direction": call.direction,
                "outcome": call.outcome,
                **({"notes": call.notes[:500]} if call.notes else {}),
            },
            at=call.started_at,
        )
    )


async def log_call(session: AsyncSession, principal: Principal, body: CallIn, region: str) -> Call:
    await _check_ticket(session, body.ticket_id)
    call = Call(
        caller_phone=normalise_phone(body.caller_phone, region, field="caller_phone"),
        direction=body.direction,
        state="ended" if body.ended_at else "answered",
        started_at=body.started_at,
        answered_at=body.started_at,
        ended_at=body.ended_at,
        operator_id=principal.subject,
        operator_name=principal.username,
        outcome=body.outcome.value,
        notes=body.notes,
        ticket_id=body.ticket_id,
        created_at=datetime.now(UTC),
    )
    session.add(call)
    await session.flush()
    if call.ticket_id is not None:
        _on_the_ticket(session, call, call.ticket_id, principal)
    await _announce(session, call)
    return call


async def update_call(session: AsyncSession, principal: Principal, call_id: UUID, body: CallPatch) -> Call:
    call = await session.get(Call, call_id, with_for_update=True)
    if call is None:
        raise NotFound(f"no call {call_id}", code="call.not_found")
    await _check_ticket(session, body.ticket_id)
    linked_before = call.ticket_id
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(call, field, value.value if hasattr(value, "value") else value)
    call.operator_id = call.operator_id or principal.subject
    call.operator_name = call.operator_name or principal.username
    if call.ticket_id is not None and call.ticket_id != linked_before:
        _on_the_ticket(session, call, call.ticket_id, principal)
    return call


async def link_filed_ticket(session: AsyncSession, principal: Principal, call_id: UUID, ticket: Ticket) -> Call:
    """The call a ticket is filed from, linked in the filing's own transaction: no ticket without its call
    when the operator filed from a screen pop, and the ticket's timeline shows the call."""
    call = await session.get(Call, call_id, with_for_update=True)
    if call is None:
        raise RuleViolation(f"call_id: no call {call_id}", field="call_id", code="call.not_found")
    if call.ticket_id is not None and call.ticket_id != ticket.id:
        raise Conflict(
            "call_id: this call is already linked to another ticket",
            field="call_id",
            rule="call-linked",
            code="call.already_linked",
        )
    call.ticket_id = ticket.id
    call.outcome = call.outcome or "new_ticket"
    call.operator_id = call.operator_id or principal.subject
    call.operator_name = call.operator_name or principal.username
    _on_the_ticket(session, call, ticket.id, principal)
    await _announce(session, call)
    return call


async def list_calls(
    session: AsyncSession, *, phone: str | None, start: datetime | None, end: datetime | None, limit: int
) -> list[Call]:
    stmt = select(Call).order_by(Call.started_at.desc()).limit(limit)
    if phone:
        stmt = stmt.where(Call.caller_phone == phone)
    if start:
        stmt = stmt.where(Call.started_at >= start)
    if end:
        stmt = stmt.where(Call.started_at < end)
    return list((await session.execute(stmt)).scalars())


@dataclass(frozen=True)
class CallerInfo:
    phone: str
    known_users: list[KnownUser]
    calls: list[Call]
    open_tickets: list[Ticket]
    recent_tickets: list[Ticket]


async def caller(session: AsyncSession, phone: str) -> CallerInfo:
    """Who is calling: people with that number, their recent calls, open and recent tickets. Three indexed
    lookups, so it is on screen before the second ring."""
    calls = await list_calls(session, phone=phone, start=None, end=None, limit=20)
    tickets = list(
        (
            await session.execute(
                select(Ticket).where(Ticket.requester_phone == phone).order_by(Ticket.created_at.desc()).limit(30)
            )
        ).scalars()
    )
    open_statuses = lifecycle.OPEN | {"pending", "resolved"}
    return CallerInfo(
        phone=phone,
        known_users=await directory.users_with_phone(session, phone),
        calls=list(calls),
        open_tickets=[t for t in tickets if t.status in open_statuses],
        recent_tickets=[t for t in tickets if t.created_at > datetime.now(UTC) - timedelta(days=90)][:10],
    )


async def cti_event(session: AsyncSession, body: CtiEventIn, region: str) -> Call:
    """ringing → answered → ended for one `call_id`; replays are harmless. Ringing pops the caller's
    history on the agent's console (NOTIFY, delivered at commit to every intake API process)."""
    at = body.at or datetime.now(UTC)
    phone = normalise_phone(body.caller, region, field="caller")
    call = (await session.execute(select(Call).where(Call.cti_call_id == body.call_id).with_for_update())).scalar()
    if call is None:
        call = Call(
            cti_call_id=body.call_id,
            caller_phone=phone,
            direction="inbound",
            state="ringing",
            started_at=at,
            agent=body.agent,
            created_at=datetime.now(UTC),
        )
        session.add(call)
    if body.event == "answered" and call.answered_at is None:
        call.state, call.answered_at = "answered", at
    elif body.event == "ended" and call.ended_at is None:
        call.state, call.ended_at = "ended", at
        if call.answered_at is None:
            call.outcome = call.outcome or "missed"
    call.agent = body.agent
    await session.flush()
    if body.event == "ended" and call.ended_at == at:
        await _announce(session, call)
    if body.event == "ringing":
        info = await caller(session, phone)
        payload = {
            "agent": body.agent,
            "call_id": body.call_id,
            "call": str(call.id),
            "caller_phone": phone,
            "caller_masked": mask_phone(phone),
            "known_users": [u.display_name for u in info.known_users][:5],
            "open_tickets": [
                {"id": str(t.id), "number": t.number, "status": t.status, "title": t.title[:60]}
                for t in info.open_tickets
            ][:5],
        }
        await session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": SCREEN_POP_CHANNEL, "payload": json.dumps(payload, ensure_ascii=False)},
        )
    return call
