"""Events produced by intake: tickets and calls."""

from datetime import datetime
from uuid import UUID

from opsdesk_shared.contracts.envelope import Event


class TicketCreated(Event):
    type = "ticket.created"
    ticket_id: UUID
    number: str
    title: str
    category: str
    priority: str
    status: str
    unit_id: UUID
    channel: str
    requester_name: str
    requester_phone: str
    created_at: datetime
    created_by: UUID | None = None
    subcategory: str | None = None
    asset_tag: str | None = None


class TicketStatusChanged(Event):
    type = "ticket.status_changed"
    ticket_id: UUID
    number: str
    from_status: str
    to_status: str
    reason: str | None = None
    changed_at: datetime
