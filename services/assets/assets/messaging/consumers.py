"""The assets service's subscriptions: the gateway's unit tree (requester scoping, unit codes in imports), and
the tickets and work orders that name an asset (its page's faults and work, the fault analysis)."""

from assets.directory import service as directory
from assets.tickets import service as tickets
from opsdesk_shared.contracts.dispatch import (
    WorkOrderAccepted,
    WorkOrderArrived,
    WorkOrderAssigned,
    WorkOrderCancelled,
    WorkOrderDeparted,
    WorkOrderReassigned,
    WorkOrderResolved,
)
from opsdesk_shared.contracts.gateway import UnitCreated, UnitUpdated
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged, TicketUpdated
from opsdesk_shared.messaging.consumer import HandlerTable, Subscription

DIRECTORY_HANDLERS: HandlerTable = {
    UnitCreated.type: directory.apply_unit,
    UnitUpdated.type: directory.apply_unit,
}

WORK_HANDLERS: HandlerTable = {
    TicketCreated.type: tickets.apply_ticket_created,
    TicketUpdated.type: tickets.apply_ticket_updated,
    TicketStatusChanged.type: tickets.apply_ticket_status,
    **{
        event.type: tickets.apply_work_order
        for event in (
            WorkOrderAssigned,
            WorkOrderReassigned,
            WorkOrderAccepted,
            WorkOrderDeparted,
            WorkOrderArrived,
            WorkOrderResolved,
            WorkOrderCancelled,
        )
    },
}

SUBSCRIPTIONS = [
    Subscription.of("assets.directory-events", DIRECTORY_HANDLERS),
    Subscription.of("assets.work-events", WORK_HANDLERS),
]
