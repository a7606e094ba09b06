"""The assets service's subscriptions: the gateway's unit tree (requester scoping, unit codes in imports) and
people's names, and intake's answer to a visit's hidden risk (the ticket it filed)."""

from assets.directory import service as directory
from assets.visits import service as visits
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.contracts.intake import VisitRiskTicketed
from opsdesk_shared.messaging.consumer import HandlerTable, Subscription

DIRECTORY_HANDLERS: HandlerTable = {
    UnitCreated.type: directory.apply_unit,
    UnitUpdated.type: directory.apply_unit,
    UserCreated.type: directory.apply_user,
    UserUpdated.type: directory.apply_user,
}
VISIT_HANDLERS: HandlerTable = {
    VisitRiskTicketed.type: visits.apply_ticketed,
}

SUBSCRIPTIONS = [
    Subscription.of("assets.directory-events", DIRECTORY_HANDLERS),
    Subscription.of("assets.visit-tickets", VISIT_HANDLERS),
]
