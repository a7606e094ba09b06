"""Dispatch's subscriptions: tickets start clocks."""

from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.sla import service as sla
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.messaging.consumer import Subscription
from opsdesk_shared.messaging.topology import QueueSpec


async def on_ticket_event(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.type == TicketCreated.type:
        await sla.start_clocks(session, envelope.parse(TicketCreated))


SUBSCRIPTIONS = [
    Subscription(QueueSpec("dispatch.ticket-events", routing_keys=("ticket.created",)), on_ticket_event),
]
