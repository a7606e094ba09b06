"""Dispatch's subscriptions: tickets (projection and clocks) and the gateway's people and units."""

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory import service as directory
from dispatch.sla import service as sla
from dispatch.workorders import tickets
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged, TicketUpdated
from opsdesk_shared.messaging.consumer import Subscription
from opsdesk_shared.messaging.topology import QueueSpec


async def on_ticket_event(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.type == TicketCreated.type:
        ticket = envelope.parse(TicketCreated)
        await tickets.record_ticket(session, ticket)
        await sla.start_clocks(session, ticket)
    elif envelope.type == TicketStatusChanged.type:
        await tickets.apply_status_change(session, envelope)
    elif envelope.type == TicketUpdated.type:
        await tickets.apply_update(session, envelope)


async def on_directory_event(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.type in (UserCreated.type, UserUpdated.type):
        await directory.apply_user(session, envelope)
    elif envelope.type in (UnitCreated.type, UnitUpdated.type):
        await directory.apply_unit(session, envelope)


SUBSCRIPTIONS = [
    Subscription(
        QueueSpec("dispatch.ticket-events", routing_keys=("ticket.created", "ticket.status_changed", "ticket.updated")),
        on_ticket_event,
    ),
    Subscription(
        QueueSpec(
            "dispatch.directory-events", routing_keys=("user.created", "user.updated", "unit.created", "unit.updated")
        ),
        on_directory_event,
    ),
]
