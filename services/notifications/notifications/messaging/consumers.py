"""Notifications' subscriptions: which events queue which SMS."""

from sqlalchemy.ext.asyncio import AsyncSession

from notifications import service, templates
from notifications.config import NotificationsSettings
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.messaging.consumer import Handler, Subscription
from opsdesk_shared.messaging.topology import QueueSpec


def ticket_handler(settings: NotificationsSettings) -> Handler:
    async def on_ticket_event(session: AsyncSession, envelope: Envelope) -> None:
        if envelope.type == TicketCreated.type:
            ticket = envelope.parse(TicketCreated)
            await service.queue_message(
                session,
                event_id=envelope.id,
                recipient=ticket.requester_phone,
                body=templates.render(templates.TICKET_ACCEPTED, settings.sms_signature, number=ticket.number),
                template=templates.TICKET_ACCEPTED,
                ticket_id=ticket.ticket_id,
            )

    return on_ticket_event


def subscriptions(settings: NotificationsSettings) -> list[Subscription]:
    return [
        Subscription(
            QueueSpec("notifications.ticket-events", routing_keys=("ticket.created",)), ticket_handler(settings)
        ),
    ]
