"""The assets service's subscriptions: the gateway's unit tree (requester scoping, unit codes in imports) and
intake's answer to each inspection finding (the ticket it became)."""

from assets.directory import service as directory
from assets.inspections.tickets import apply_finding_ticketed
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated
from opsdesk_shared.contracts.intake import FindingTicketed
from opsdesk_shared.messaging.consumer import HandlerTable, Subscription

DIRECTORY_HANDLERS: HandlerTable = {
    UnitCreated.type: directory.apply_unit,
    UnitUpdated.type: directory.apply_unit,
}
FINDING_HANDLERS: HandlerTable = {FindingTicketed.type: apply_finding_ticketed}

SUBSCRIPTIONS = [
    Subscription.of("assets.directory-events", DIRECTORY_HANDLERS),
    Subscription.of("assets.finding-events", FINDING_HANDLERS),
]
