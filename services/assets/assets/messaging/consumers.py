"""The assets service's subscriptions: the gateway's unit tree (requester scoping, unit codes in imports)."""

from assets.directory import service as directory
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated
from opsdesk_shared.messaging.consumer import HandlerTable, Subscription

DIRECTORY_HANDLERS: HandlerTable = {
    UnitCreated.type: directory.apply_unit,
    UnitUpdated.type: directory.apply_unit,
}

SUBSCRIPTIONS = [Subscription.of("assets.directory-events", DIRECTORY_HANDLERS)]
