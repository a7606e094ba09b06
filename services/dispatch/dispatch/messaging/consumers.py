"""Dispatch's subscriptions: tickets (projection and clocks) and the gateway's people and units."""

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory import service as directory
from dispatch.sla import service as sla
from dispatch.workorders import tickets
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged, TicketUpdated
from opsdesk_shared.messaging.consumer import HandlerTable, Subscription


async def on_ticket_created(session: AsyncSession, envelope: Envelope) -> None:
    ticket = envelope.parse(TicketCreated)
    policy = await tickets.record_ticket(session, ticket)
    await sla.start_clocks(session, ticket, policy)


TICKET_HANDLERS: HandlerTable = {
    TicketCreated.type: on_ticket_created,
    TicketStatusChanged.type: tickets.apply_status_change,
    TicketUpdated.type: tickets.apply_update,
}
DIRECTORY_HANDLERS: HandlerTable = {
    UserCreated.type: directory.apply_user,
    UserUpdated.type: directory.apply_user,
    UnitCreated.type: directory.apply_unit,
    UnitUpdated.type: directory.apply_unit,
}

SUBSCRIPTIONS = [
    Subscription.of("dispatch.ticket-events", TICKET_HANDLERS),
    Subscription.of("dispatch.directory-events", DIRECTORY_HANDLERS),
]
