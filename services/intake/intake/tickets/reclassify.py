"""Reclassifying a filed ticket: staff correct its unit, category, kind of work, priority, title or asset.

One change is one timeline line (`reclassified`, with each field's before and after), one version and one
`ticket.updated` carrying the ticket's whole classification after it, so dispatch re-targets the clocks and
reporting counts the ticket where it now belongs. The status is not touched: that is `lifecycle`'s job.
"""

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from intake.directory import service as directory
from intake.ledger import service as ledger
from intake.tickets.models import Ticket, TicketEvent
from intake.tickets.schemas import ReclassifyIn
from intake.tickets.service import PRODUCER, get_ticket, now
from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.contracts.intake import TicketUpdated
from opsdesk_shared.errors import Conflict, Forbidden, RuleViolation
from opsdesk_shared.messaging.outbox import add_event

# Those who file and route tickets correct them. Supervisors read and report, they do not work tickets
# (they may not file, pend or cancel either); engineers fix what they are sent, the dispatcher routes.
CAN_RECLASSIFY = (Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ADMIN)
FIELDS = ("unit_id", "category", "subcategory", "priority", "title", "asset_tag")
# Fields that may be emptied by sending null; the others only change to another value.
CLEARABLE = frozenset({"subcategory", "asset_tag"})
# History is not rewritten: a closed or cancelled ticket's classification is what it was reported under.
FINISHED = frozenset({"closed", "cancelled"})


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def requested_changes(ticket: Ticket, body: ReclassifyIn) -> dict[str, tuple[Any, Any]]:
    """field -> (before, after) for each field the request really changes."""
    given = body.model_dump(exclude_unset=True, mode="json")
    changes: dict[str, tuple[Any, Any]] = {}
    for field in FIELDS:
        if field not in given:
            continue
        after = given[field]
        if after is None and field not in CLEARABLE:
            raise RuleViolation(
                f"{field} cannot be emptied; leave it out to keep it",
                field=field,
                code="ticket.field_cannot_be_emptied",
            )
        before = getattr(ticket, field)
        if _text(before) != _text(after):
            changes[field] = (before, after)
    return changes


async def reclassify(session: AsyncSession, principal: Principal, ticket_id: UUID, body: ReclassifyIn) -> Ticket:
    if not principal.has_any(*CAN_RECLASSIFY):
        raise Forbidden(
            f"reclassifying requires one of the roles: {', '.join(sorted(CAN_RECLASSIFY))}", code="auth.role_required"
        )
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    if ticket.status in FINISHED:
        raise Conflict(
            f"the ticket is {ticket.status}: it stays as it was reported",
            current_status=ticket.status,
            field="status",
            code="ticket.closed_no_reclassify",
        )
    changes = requested_changes(ticket, body)
    if not changes:
        raise RuleViolation(
            "nothing to change: every field given already has that value", field="body", code="ticket.nothing_to_change"
        )
    if "priority" in changes and not body.priority_reason:
        raise RuleViolation(
            "changing the priority needs priority_reason",
            field="priority_reason",
            code="ticket.priority_reason_required",
        )
    if "unit_id" in changes:
        new_unit = UUID(changes["unit_id"][1])
        # Staff may move a ticket to a unit whose event has not arrived yet; the path is corrected then.
        ticket.unit_path = await directory.unit_path(session, new_unit) or [new_unit]
    if "asset_tag" in changes:
        # A person names the asset: it must be in the ledger (an unknown tag flagged at filing is corrected so).
        tag = changes["asset_tag"][1]
        asset = await ledger.require_known(session, tag) if tag is not None else None
        changes["asset_tag"] = (changes["asset_tag"][0], asset.tag if asset else None)
        ticket.asset_id, ticket.asset_unknown = (asset.asset_id if asset else None), False
    for field, (_, after) in changes.items():
        setattr(ticket, field, UUID(after) if field == "unit_id" else after)
    if "priority" in changes:
        ticket.priority_reason = body.priority_reason
    at = now()
    ticket.updated_at = at
    ticket.version += 1
    recorded = {field: [_text(before), _text(after)] for field, (before, after) in changes.items()}
    detail: dict[str, Any] = {"changes": recorded}
    if "priority" in changes:
        detail["reason"] = body.priority_reason
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="reclassified",
            actor_id=principal.subject,
            actor_name=principal.username,
            detail=detail,
            at=at,
        )
    )
    await add_event(
        session,
        TicketUpdated(
            ticket_id=ticket.id,
            number=ticket.number,
            title=ticket.title,
            category=ticket.category,
            subcategory=ticket.subcategory,
            priority=ticket.priority,
            unit_id=ticket.unit_id,
            asset_tag=ticket.asset_tag,
            status=ticket.status,
            changes=recorded,
            reason=detail.get("reason"),
            updated_at=at,
            actor_id=principal.subject,
            aggregate_version=ticket.version,
        ),
        producer=PRODUCER,
    )
    return ticket
