"""The assets service's subscriptions: the gateway's unit tree (requester scoping, unit codes in imports) and its
users (who the project managers are, people's names); intake's answers to each inspection finding and to a
visit's hidden risk (the ticket each became); dispatch's work orders for the spare parts issued to them
(reconciled when they are resolved); and the tickets and work orders that name an asset (its page's faults and
work, the fault analysis).

Work orders are followed by two queues with two jobs: a failing reconciliation must not hold the asset pages,
nor the other way round."""

from assets.directory import service as directory
from assets.inspections.tickets import apply_finding_ticketed
from assets.spares import work_orders
from assets.tickets import service as tickets
from assets.visits import service as visits
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated, UserCreated, UserUpdated
from opsdesk_shared.contracts.intake import (
    FindingTicketed,
    TicketCreated,
    TicketStatusChanged,
    TicketUpdated,
    VisitRiskTicketed,
)
from opsdesk_shared.messaging.consumer import HandlerTable, Subscription

WORK_ORDER_EVENTS = (
    d.WorkOrderAssigned,
    d.WorkOrderReassigned,
    d.WorkOrderAccepted,
    d.WorkOrderDeparted,
    d.WorkOrderArrived,
    d.WorkOrderResolved,
    d.WorkOrderCancelled,
)

DIRECTORY_HANDLERS: HandlerTable = {
    UnitCreated.type: directory.apply_unit,
    UnitUpdated.type: directory.apply_unit,
    UserCreated.type: directory.apply_user,
    UserUpdated.type: directory.apply_user,
}
FINDING_HANDLERS: HandlerTable = {FindingTicketed.type: apply_finding_ticketed}
SPARES_HANDLERS: HandlerTable = {
    **{event.type: work_orders.learn_work_order for event in WORK_ORDER_EVENTS},
    d.WorkOrderResolved.type: work_orders.work_order_resolved,
}
ASSET_WORK_HANDLERS: HandlerTable = {
    TicketCreated.type: tickets.apply_ticket_created,
    TicketUpdated.type: tickets.apply_ticket_updated,
    TicketStatusChanged.type: tickets.apply_ticket_status,
    **{event.type: tickets.apply_work_order for event in WORK_ORDER_EVENTS},
}
VISIT_HANDLERS: HandlerTable = {
    VisitRiskTicketed.type: visits.apply_ticketed,
}

SUBSCRIPTIONS = [
    Subscription.of("assets.directory-events", DIRECTORY_HANDLERS),
    Subscription.of("assets.finding-events", FINDING_HANDLERS),
    Subscription.of("assets.work-order-events", SPARES_HANDLERS),
    Subscription.of("assets.work-events", ASSET_WORK_HANDLERS),
    Subscription.of("assets.visit-tickets", VISIT_HANDLERS),
]
