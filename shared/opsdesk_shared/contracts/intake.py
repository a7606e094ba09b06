"""Events produced by intake: tickets and calls."""

from datetime import datetime
from uuid import UUID

from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.vocabulary import Category, Channel, Priority, TicketStatus
from opsdesk_shared.personal_data import SealedPhone

# Every ticket event carries `aggregate_version`: the ticket's version after the change it announces (1 at
# filing, one more per announced change). Consumers apply a ticket's changes only in that order
# (`opsdesk_shared/messaging/ordering.py`); 0 means an event written before versions existed.


class TicketCreated(Event):
    """A filed ticket. `requester_phone` is empty for the channels with no requester to text
    (`vocabulary.QUIET_CHANNELS`: inspection, monitoring)."""

    type = "ticket.created"
    ticket_id: UUID
    number: str
    title: str
    category: Category
    priority: Priority
    status: TicketStatus
    unit_id: UUID
    channel: Channel
    requester_name: str
    requester_phone: SealedPhone
    created_at: datetime
    created_by: UUID | None = None
    subcategory: str | None = None
    asset_tag: str | None = None
    location: str | None = None  # where on the premises: the engineer's list and the assignment SMS say it
    # The ledger asset the tag names (intake's copy of the ledger, from `asset.*` events); None without a tag,
    # or when the tag was unknown (`asset_unknown`: only inspection and monitoring tickets are opened so).
    asset_id: UUID | None = None
    asset_unknown: bool = False
    finding_id: UUID | None = None  # the inspection finding this ticket was opened for
    aggregate_version: int = 0


class FindingTicketed(Event):
    """Which ticket an inspection finding became (`inspection.finding_raised` → intake): a new ticket
    (`opened`), or the open ticket of an earlier finding of the same asset and item, which it was added to.
    Assets shows the finding's ticket from it; reporting lists it in the daily inspection report."""

    type = "finding.ticketed"
    finding_id: UUID
    ticket_id: UUID
    ticket_number: str
    opened: bool
    at: datetime


class TicketStatusChanged(Event):
    type = "ticket.status_changed"
    ticket_id: UUID
    number: str
    from_status: TicketStatus
    to_status: TicketStatus
    reason: str | None = None
    changed_at: datetime
    # The ticket's unit, so that consumers can scope the change (the web UI's live stream) without asking;
    # None from producers before it was added.
    unit_id: UUID | None = None
    aggregate_version: int = 0


class TicketUpdated(Event):
    """Staff reclassified a filed ticket (unit, category, kind of work, priority, title, asset). Carries the
    ticket's classification after the change, whole, so a consumer sets its copy without reading anything
    else, and `changes` (field -> [before, after]) for what moved; `reason` is the priority change's."""

    type = "ticket.updated"
    ticket_id: UUID
    number: str
    title: str
    category: Category
    subcategory: str | None = None
    priority: Priority
    unit_id: UUID
    asset_tag: str | None = None
    status: TicketStatus
    changes: dict[str, list[str | None]]
    reason: str | None = None
    updated_at: datetime
    actor_id: UUID | None = None
    aggregate_version: int = 0


class TicketStep(Event):
    """Base of the life-cycle events beside `ticket.status_changed`: what a notification or report needs."""

    ticket_id: UUID
    number: str
    unit_id: UUID
    requester_name: str
    requester_phone: SealedPhone
    at: datetime
    actor_id: UUID | None = None
    aggregate_version: int = 0


class TicketResolved(TicketStep):
    type = "ticket.resolved"
    resolution_code: str | None = None
    summary: str | None = None
    remote: bool | None = None


class TicketClosed(TicketStep):
    type = "ticket.closed"
    rating: int | None = None
    feedback: str | None = None
    automatic: bool = False


class TicketReopened(TicketStep):
    type = "ticket.reopened"
    reason: str


class TicketCancelled(TicketStep):
    type = "ticket.cancelled"
    reason: str
    # Set when the ticket was closed as a duplicate: the ticket that carries on (its requester is told), and
    # reports count it as a duplicate rather than work. None from producers before it was added.
    duplicate_of: UUID | None = None
    duplicate_of_number: str | None = None


class TicketCommented(TicketStep):
    type = "ticket.commented"
    comment_id: UUID
    public: bool
    body: str
    author_name: str | None = None
    author_is_staff: bool = True  # a requester's own comment is not texted back to them


class CallLogged(Event):
    type = "call.logged"
    call_id: UUID
    caller_phone: SealedPhone
    direction: str
    started_at: datetime
    ended_at: datetime | None = None
    operator_id: UUID | None = None
    outcome: str | None = None
    ticket_id: UUID | None = None


class KnowledgeArticleUsed(Event):
    """A call or a ticket solved with a knowledge-base article (first-call resolution by article)."""

    type = "knowledge.article_used"
    article_id: UUID
    article_number: str
    call_id: UUID | None = None
    ticket_id: UUID | None = None
    at: datetime


class KnowledgeFilingSpared(Event):
    """A requester read a published article before filing and did not need to file (deflection)."""

    type = "knowledge.filing_spared"
    article_id: UUID
    article_number: str
    at: datetime


class VisitRiskTicketed(Event):
    """Intake filed the ticket a visit's hidden risk asked for (`visit.risk_raised`): which one."""

    type = "visit.risk_ticketed"
    risk_id: UUID
    visit_id: UUID
    ticket_id: UUID
    number: str
    at: datetime
