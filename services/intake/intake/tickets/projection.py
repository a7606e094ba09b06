"""Dispatch's events keep the requester's view current: assigned, engineer on the way, on site,
resolved — and the staff's: SLA warnings and breaches. Applied only when the life cycle allows it;
otherwise (say, the engineer arrives while the ticket waits on the bureau) it is written to the
timeline and the status is left alone, so a late or crossing event never breaks the ticket."""

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.tickets import lifecycle
from intake.tickets.models import Ticket, TicketEvent
from intake.tickets.service import change_status, mark_resolved
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts.envelope import Envelope

log = structlog.get_logger(__name__)

# event type -> (life-cycle action, timeline kind)
WORK_ORDER_STEPS = {
    d.WorkOrderAssigned.type: ("assign", "engineer_assigned"),
    d.WorkOrderReassigned.type: ("assign", "engineer_reassigned"),
    d.WorkOrderAccepted.type: ("start", "engineer_accepted"),
    d.WorkOrderDeparted.type: ("start", "engineer_on_the_way"),
    d.WorkOrderArrived.type: ("arrive", "engineer_on_site"),
    d.WorkOrderCancelled.type: ("unassign", "work_order_cancelled"),
}
SLA_STATES = {d.SlaWarning.type: "warning", d.SlaBreached.type: "breached"}


async def _ticket(session: AsyncSession, ticket_id: Any) -> Ticket | None:
    return (await session.execute(select(Ticket).where(Ticket.id == ticket_id).with_for_update())).scalar()


def _note(ticket: Ticket, kind: str, at: datetime, name: str | None, detail: dict[str, Any]) -> TicketEvent:
    return TicketEvent(ticket_id=ticket.id, kind=kind, actor_name=name, detail=detail, at=at)


async def on_dispatch_event(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.type in SLA_STATES:
        await _sla(session, envelope)
    elif envelope.type == d.WorkOrderResolved.type:
        await _resolved(session, envelope.parse(d.WorkOrderResolved))
    elif envelope.type in WORK_ORDER_STEPS:
        await _work_order_step(session, envelope)


async def _work_order_step(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.parse(d.WorkOrderEvent)
    ticket = await _ticket(session, event.ticket_id)
    if ticket is None:
        log.warning("work_order_for_unknown_ticket", ticket_id=str(event.ticket_id), event_type=envelope.type)
        return
    action, kind = WORK_ORDER_STEPS[envelope.type]
    detail: dict[str, Any] = {"engineer": event.engineer_name, "work_order_id": str(event.work_order_id)}
    if envelope.type in (d.WorkOrderAssigned.type, d.WorkOrderReassigned.type):
        expected = envelope.data.get("expected_arrival_at")
        if expected:
            detail["expected_arrival_at"] = expected
    if envelope.type == d.WorkOrderCancelled.type:  # a decline's reason is what the dispatcher needs to know
        detail.update(reason=envelope.data.get("reason"), declined=bool(envelope.data.get("declined")))
    ticket.engineer_name = None if action == "unassign" else event.engineer_name
    if lifecycle.is_legal(ticket.status, action) and not (action == "assign" and ticket.status == "assigned"):
        await change_status(
            session,
            ticket,
            action,
            actor_id=event.actor_id,
            actor_name=event.engineer_name,
            detail={"source": kind, **detail},
            at=event.at,
        )
    session.add(_note(ticket, kind, event.at, event.engineer_name, detail))


async def _resolved(session: AsyncSession, event: d.WorkOrderResolved) -> None:
    ticket = await _ticket(session, event.ticket_id)
    if ticket is None:
        return
    if lifecycle.is_legal(ticket.status, "resolve"):
        await mark_resolved(
            session,
            ticket,
            code=event.resolution_code,
            summary=event.summary,
            remote=event.remote,
            actor_id=event.actor_id,
            actor_name=event.engineer_name,
            at=event.at,
        )
    else:
        session.add(
            _note(
                ticket,
                "work_order_resolved",
                event.at,
                event.engineer_name,
                {"resolution_code": event.resolution_code, "status_kept": ticket.status},
            )
        )


async def _sla(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.parse(d.SlaDeadline)
    ticket = await _ticket(session, event.ticket_id)
    if ticket is None:
        return
    state = SLA_STATES[envelope.type]
    if not (ticket.sla_state == "breached" and state == "warning"):
        ticket.sla_state = state
    session.add(
        _note(
            ticket, f"sla_{state}", event.fired_at, None, {"metric": event.metric, "due_at": event.due_at.isoformat()}
        )
    )
