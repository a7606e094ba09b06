"""The assets service's subscriptions: the gateway's unit tree (requester scoping, unit codes in imports) and
intake's answer to each inspection finding (the ticket it became), the gateway's users (who the project managers
are), and dispatch's work orders (spare parts issued to them, reconciled when they are resolved)."""

from assets.directory import service as directory
from assets.inspections.tickets import apply_finding_ticketed
from assets.spares import work_orders
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.contracts.intake import FindingTicketed
from opsdesk_shared.messaging.consumer import HandlerTable, Subscription

DIRECTORY_HANDLERS: HandlerTable = {
    UnitCreated.type: directory.apply_unit,
    UnitUpdated.type: directory.apply_unit,
    UserCreated.type: directory.apply_user,
    UserUpdated.type: directory.apply_user,
}
FINDING_HANDLERS: HandlerTable = {FindingTicketed.type: apply_finding_ticketed}

WORK_ORDER_HANDLERS: HandlerTable = {
    d.WorkOrderAssigned.type: work_orders.learn_work_order,
    d.WorkOrderReassigned.type: work_orders.learn_work_order,
    d.WorkOrderAccepted.type: work_orders.learn_work_order,
    d.WorkOrderDeparted.type: work_orders.learn_work_order,
    d.WorkOrderArrived.type: work_orders.learn_work_order,
    d.WorkOrderCancelled.type: work_orders.learn_work_order,
    d.WorkOrderResolved.type: work_orders.work_order_resolved,
}

SUBSCRIPTIONS = [
    Subscription.of("assets.directory-events", DIRECTORY_HANDLERS),
    Subscription.of("assets.finding-events", FINDING_HANDLERS),
    Subscription.of("assets.work-order-events", WORK_ORDER_HANDLERS),
]
