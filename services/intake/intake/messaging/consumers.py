"""Intake's subscriptions: dispatch's work-order and SLA events (the requester's view), the gateway's units
and users (scoping and caller identity), the assets service's ledger (tickets' asset references), inspection
findings and monitoring alerts (which become tickets), and the hidden risks user visits find."""

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from intake.config import IntakeSettings
from intake.directory import service as directory
from intake.findings.service import on_finding_raised
from intake.ledger import service as ledger
from intake.monitoring.service import on_alert_firing, on_alert_resolved
from intake.tickets import from_visits, projection, sms_replies
from opsdesk_shared.contracts.assets import AssetRegistered, AssetStatusChanged, AssetUpdated, InspectionFindingRaised
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.contracts.monitoring import AlertFiring, AlertResolved
from opsdesk_shared.messaging.consumer import HandlerTable, Subscription
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


ASSET_HANDLERS: HandlerTable = {
    AssetRegistered.type: ledger.apply_asset,
    AssetUpdated.type: ledger.apply_asset,
    AssetStatusChanged.type: ledger.apply_status,
    InspectionFindingRaised.type: on_finding_raised,
    # Monitoring alerts (the assets service's receiver): tickets on the channel `monitoring`.
    AlertFiring.type: on_alert_firing,
    AlertResolved.type: on_alert_resolved,
}

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
    Subscription.of("intake.asset-events", ASSET_HANDLERS),
    # A hidden risk found on a user visit, to be filed as a ticket (channel `visit`).
    Subscription.of("intake.visit-risks", from_visits.HANDLERS),
]
