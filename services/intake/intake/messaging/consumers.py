"""Intake's subscriptions: dispatch's work-order and SLA events (the requester's view), and the
gateway's units and users (scoping and caller identity), and the hidden risks user visits find."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from intake import directory, projection
from intake.config import IntakeSettings
from intake.tickets import from_visits, sms_replies
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.messaging.consumer import Subscription
from opsdesk_shared.messaging.topology import QueueSpec


async def on_directory_event(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.type in (UnitCreated.type, UnitUpdated.type):
        await directory.apply_unit(session, envelope)
    elif envelope.type in (UserCreated.type, UserUpdated.type):
        await directory.apply_user(session, envelope)


def subscriptions(settings: IntakeSettings) -> list[Subscription]:
    return [
        *SUBSCRIPTIONS,
        Subscription(
            QueueSpec("intake.sms-replies", routing_keys=("sms.reply_received",)),
            sms_replies.handler(timedelta(days=settings.reopen_window_days)),
        ),
    ]


SUBSCRIPTIONS = [
    Subscription(
        QueueSpec("intake.dispatch-events", routing_keys=("workorder.*", "sla.warning", "sla.breached")),
        projection.on_dispatch_event,
    ),
    Subscription(
        QueueSpec(
            "intake.directory-events", routing_keys=("unit.created", "unit.updated", "user.created", "user.updated")
        ),
        on_directory_event,
    ),
    # A hidden risk found on a user visit, to be filed as a ticket (channel `visit`).
    Subscription.of("intake.visit-risks", from_visits.HANDLERS),
]
