"""Tickets: filing, reading with scope, and every life-cycle action. Each runs inside the caller's unit
of work and never commits by itself; each status change is one `lifecycle` transition, one timeline
line and its events in the outbox, all in that transaction."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from intake.calls import service as calls
from intake.directory import service as directory
from intake.ledger import service as ledger
from intake.tickets import filing, lifecycle, priority
from intake.tickets.models import Comment, Ticket, TicketDuplicate, TicketEvent
from intake.tickets.numbering import SHANGHAI, NumberAllocator
from intake.tickets.schemas import CommentIn, ConfirmIn, TicketCreate
from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.contracts.intake import (
    TicketCancelled,
    TicketClosed,
    TicketCommented,
    TicketCreated,
    TicketReopened,
    TicketResolved,
    TicketStatusChanged,
)
from opsdesk_shared.contracts.vocabulary import QUIET_CHANNELS
from opsdesk_shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging import outbox
from opsdesk_shared.messaging.outbox import add_event
from opsdesk_shared.phones import normalise_phone

PRODUCER = "intake"
STAFF = (Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.ADMIN)
# Timeline kinds a requester does not see: staff-only notes and the vendor's internal SLA alarms.
INTERNAL_KINDS = frozenset({"internal_comment", "sla_warning", "sla_breached", "call_logged"})


def now() -> datetime:
    return datetime.now(UTC)


def is_staff(principal: Principal) -> bool:
    return principal.has_any(*STAFF)


def visible(principal: Principal) -> Any:
    """Staff see every ticket; a requester their unit's subtree, and the tickets their unit's duplicates were
    merged into (wherever those were filed: the request carries on there); anyone else (system, auditor…) none."""
    if is_staff(principal):
        return true()
    if principal.has_any(Role.REQUESTER) and principal.unit_id is not None:
        duplicate = aliased(Ticket)
        survivors = (
            select(TicketDuplicate.survivor_id)
            .join(duplicate, duplicate.id == TicketDuplicate.duplicate_id)
            .where(duplicate.unit_path.contains([principal.unit_id]))
        )
        return or_(
            Ticket.unit_path.contains([principal.unit_id]),
            Ticket.id.in_(survivors),
        )
    return false()


# Who closes the loop on a ticket with no requester (inspection, monitoring): the desk. `project_manager` is
# the vendor's project manager's gateway role (issue 16), named as a string until it joins `Role`.
DESK_CONFIRMERS = (Role.DISPATCHER, Role.ADMIN, Role.PROJECT_MANAGER)

# Who may set a priority other than the matrix's: the hotline and the desk, who hear the caller.
OVERRIDERS = (Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ADMIN)


def _priority(cmd: TicketCreate, principal: Principal) -> tuple[str, str | None, str | None]:
    """The ticket's priority, its reason, and the matrix's priority when the filer overrode it."""
    matrix = priority.from_matrix(cmd.impact.value, cmd.urgency.value) if cmd.impact and cmd.urgency else None
    if (cmd.impact is None) != (cmd.urgency is None):
        raise RuleViolation(
            "impact and urgency go together: give both or neither", field="urgency", code="ticket.impact_urgency_pair"
        )
    if cmd.priority is None:
        return matrix or priority.DEFAULT, None, None
    computed = matrix or priority.DEFAULT
    if cmd.priority.value == computed:
        return cmd.priority.value, cmd.priority_reason, None
    may_override = principal.has_any(*OVERRIDERS)
    # Where impact and urgency are given, the matrix decides and only the desk overrides it. A client that
    # gives neither (a system filing inspections, an older API client) sets the priority as the API has
    # always allowed (SPEC §7); the web forms always send impact and urgency.
    if not may_override and matrix is not None:
        raise Forbidden(
            f"the impact × urgency matrix gives {computed}; only the desk may override it",
            field="priority",
            code="ticket.priority_override_forbidden",
        )
    if matrix is None:
        return cmd.priority.value, cmd.priority_reason, None
    if not cmd.priority_reason:
        raise RuleViolation(
            f"the impact × urgency matrix gives {matrix}; overriding it needs priority_reason",
            field="priority_reason",
            code="ticket.priority_reason_required",
        )
    return cmd.priority.value, cmd.priority_reason, matrix


async def _unit_path_for_filing(session: AsyncSession, principal: Principal, unit_id: UUID) -> list[UUID]:
    if is_staff(principal):
        # Staff file for any unit: the filing statement itself puts the unit's path in (tickets/filing.py), or
        # this one while the unit event is still on its way (the path is corrected when it arrives).
        return [unit_id]
    path = await directory.unit_path(session, unit_id)
    if path is None or principal.unit_id not in path:
        raise Forbidden(
            "requesters file tickets within their own unit's subtree only",
            field="unit_id",
            code="ticket.unit_out_of_scope",
        )
    return path


async def create_ticket(
    session: AsyncSession,
    principal: Principal,
    cmd: TicketCreate,
    *,
    phone_region: str,
    numbers: NumberAllocator | None = None,
) -> Ticket:
    if cmd.call_id is not None and not principal.has_any(Role.HOTLINE_OPERATOR):
        raise Forbidden(
            "call_id: only the hotline files a ticket from a call",
            field="call_id",
            rule="hotline-only",
            code="ticket.call_hotline_only",
        )
    at = now()
    level, reason, overridden = _priority(cmd, principal)
    asset, asset_unknown = await ledger.resolve_tag(session, cmd.asset_tag, cmd.channel.value)
    ticket = Ticket(
        number="",  # taken last, in `file_ticket`
        title=cmd.title,
        description=cmd.description,
        category=cmd.category.value,
        subcategory=cmd.subcategory,
        impact=cmd.impact.value if cmd.impact else None,
        urgency=cmd.urgency.value if cmd.urgency else None,
        priority=level,
        priority_reason=reason,
        status="new",
        unit_id=cmd.unit_id,
        unit_path=await _unit_path_for_filing(session, principal, cmd.unit_id),
        requester_name=cmd.requester_name,
        requester_phone=normalise_phone(cmd.requester_phone, phone_region, field="requester_phone"),
        channel=cmd.channel.value,
        asset_tag=asset.tag if asset else cmd.asset_tag,
        asset_id=asset.asset_id if asset else None,
        asset_unknown=asset_unknown,
        location=cmd.location,
        created_by=principal.subject,
        created_at=at,
        updated_at=at,
        version=1,
    )
    detail: dict[str, Any] = {"channel": ticket.channel, "status": "new", "priority": level}
    if reason:
        detail["priority_reason"] = reason
    await file_ticket(
        session, ticket, actor_id=principal.subject, actor_name=principal.username, detail=detail, numbers=numbers
    )
    if overridden:
        # Its own line, so the timeline says plainly who set the priority against the matrix, and why.
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                kind="priority_overridden",
                actor_id=principal.subject,
                actor_name=principal.username,
                detail={
                    "impact": ticket.impact,
                    "urgency": ticket.urgency,
                    "matrix": overridden,
                    "priority": level,
                    "reason": reason,
                },
                at=at,
            )
        )
        await session.flush()
    if cmd.call_id is not None:
        await calls.link_filed_ticket(session, principal, cmd.call_id, ticket)
    return ticket


def announced_phone(ticket: Ticket) -> str:
    """The requester's phone as the ticket's events carry it: none for the channels with no requester to
    text (an inspection's reporter is the vendor's own engineer), so notifications sends them nothing."""
    return "" if ticket.channel in QUIET_CHANNELS else ticket.requester_phone


async def file_ticket(
    session: AsyncSession,
    ticket: Ticket,
    *,
    actor_id: UUID | None,
    actor_name: str | None,
    detail: dict[str, Any],
    finding_id: UUID | None = None,
    numbers: NumberAllocator | None = None,
) -> None:
    """A new ticket's number, its `created` timeline line and its `ticket.created`, in the caller's
    transaction (filed by a person, or opened for an inspection finding). The number is taken ahead by
    `numbers` where given (the API's filings), else in the filing's own statement (numbering.py)."""
    if ticket.asset_unknown:
        detail = {**detail, "asset_unknown": ticket.asset_tag}
    number = await numbers.take(ticket.created_at.astimezone(SHANGHAI).date()) if numbers else None
    # Made before the filing statement, which writes it with the number it files the ticket under.
    announcement = outbox.wrap(
        TicketCreated(
            ticket_id=ticket.id,
            number=number or "",
            title=ticket.title,
            category=ticket.category,
            priority=ticket.priority,
            status=ticket.status,
            unit_id=ticket.unit_id,
            channel=ticket.channel,
            requester_name=ticket.requester_name,
            requester_phone=announced_phone(ticket),
            created_at=ticket.created_at,
            created_by=ticket.created_by,
            subcategory=ticket.subcategory,
            asset_tag=ticket.asset_tag,
            location=ticket.location,
            asset_id=ticket.asset_id,
            asset_unknown=ticket.asset_unknown,
            finding_id=finding_id,
            aggregate_version=ticket.version,
        ),
        producer=PRODUCER,
    )
    await filing.insert_ticket(
        session,
        ticket,
        line={"actor_id": actor_id, "actor_name": actor_name, "detail": detail, "at": ticket.created_at},
        announcement=announcement,
        number=number,
    )


async def get_ticket(session: AsyncSession, principal: Principal, ticket_id: UUID, *, lock: bool = False) -> Ticket:
    stmt = select(Ticket).where(Ticket.id == ticket_id, visible(principal))
    if lock:
        stmt = stmt.with_for_update()
    ticket = (await session.execute(stmt)).scalar()
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found", code="ticket.not_found")
    return ticket


async def reveal_contact(session: AsyncSession, principal: Principal, ticket_id: UUID, reason: str) -> Ticket:
    """A ticket the caller may read, for its requester's contact; the reveal is kept in its timeline."""
    ticket = await get_ticket(session, principal, ticket_id)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="contact_viewed",
            actor_id=principal.subject,
            actor_name=principal.username,
            detail={"reason": reason},
            at=now(),
        )
    )
    return ticket


async def timeline(session: AsyncSession, ticket_id: UUID, principal: Principal) -> list[TicketEvent]:
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at, TicketEvent.id)
    if not is_staff(principal):
        stmt = stmt.where(TicketEvent.kind.not_in(INTERNAL_KINDS))
    return list((await session.execute(stmt)).scalars())


async def comments(session: AsyncSession, ticket_id: UUID, principal: Principal) -> list[Comment]:
    stmt = select(Comment).where(Comment.ticket_id == ticket_id).order_by(Comment.at)
    if not is_staff(principal):
        stmt = stmt.where(Comment.public.is_(True))
    return list((await session.execute(stmt)).scalars())


def _step_fields(ticket: Ticket, at: datetime, actor: UUID | None) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "unit_id": ticket.unit_id,
        "requester_name": ticket.requester_name,
        "requester_phone": announced_phone(ticket),
        "at": at,
        "actor_id": actor,
        "aggregate_version": ticket.version,
    }


async def change_status(
    session: AsyncSession,
    ticket: Ticket,
    action: str,
    *,
    actor_id: UUID | None,
    actor_name: str | None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    extra_events: Sequence[Event] = (),
    at: datetime | None = None,
) -> str:
    """The one way a ticket's status changes: checks the transition, records it, announces it. The caller
    holds the ticket's row lock, so the version it takes is the ticket's next, and its alone."""
    at = at or now()
    before = ticket.status
    after = lifecycle.target(before, action, ticket.status_before_pending)
    ticket.version += 1
    if action == "pend":
        ticket.status_before_pending, ticket.pending_reason = before, reason
    elif before == "pending":
        ticket.status_before_pending = ticket.pending_reason = None
    ticket.status, ticket.updated_at = after, at
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind=action,
            actor_id=actor_id,
            actor_name=actor_name,
            detail={"from": before, "to": after, **({"reason": reason} if reason else {}), **(detail or {})},
            at=at,
        )
    )
    await add_event(
        session,
        TicketStatusChanged(
            ticket_id=ticket.id,
            number=ticket.number,
            from_status=before,
            to_status=after,
            reason=reason,
            changed_at=at,
            unit_id=ticket.unit_id,
            aggregate_version=ticket.version,
        ),
        producer=PRODUCER,
    )
    for event in extra_events:
        # Built by the caller before this change took its version: the change's events all carry it.
        await add_event(session, event.model_copy(update={"aggregate_version": ticket.version}), producer=PRODUCER)
    return after


def _require(principal: Principal, *roles: str, what: str) -> None:
    if not principal.has_any(*roles):
        raise Forbidden(f"{what} requires one of the roles: {', '.join(sorted(roles))}", code="auth.role_required")


async def pend(session: AsyncSession, principal: Principal, ticket_id: UUID, reason: str) -> Ticket:
    _require(principal, Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.ADMIN, what="pending")
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    await change_status(
        session, ticket, "pend", actor_id=principal.subject, actor_name=principal.username, reason=reason
    )
    return ticket


async def resume(session: AsyncSession, principal: Principal, ticket_id: UUID, note: str | None) -> Ticket:
    _require(principal, Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.ADMIN, what="resuming")
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    await change_status(
        session, ticket, "resume", actor_id=principal.subject, actor_name=principal.username, reason=note
    )
    return ticket


async def resolve_remotely(
    session: AsyncSession, principal: Principal, ticket_id: UUID, code: str, summary: str
) -> Ticket:
    """First-call / remote resolution by the hotline or an engineer: no site visit (SPEC §4)."""
    _require(principal, Role.HOTLINE_OPERATOR, Role.ENGINEER, Role.DISPATCHER, Role.ADMIN, what="resolving")
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    await mark_resolved(
        session,
        ticket,
        code=code,
        summary=summary,
        remote=True,
        actor_id=principal.subject,
        actor_name=principal.username,
    )
    return ticket


async def mark_resolved(
    session: AsyncSession,
    ticket: Ticket,
    *,
    code: str | None,
    summary: str | None,
    remote: bool | None,
    actor_id: UUID | None,
    actor_name: str | None,
    at: datetime | None = None,
) -> None:
    at = at or now()
    ticket.resolution_code, ticket.resolution_summary = code, summary
    ticket.resolved_at, ticket.resolved_remotely = at, remote
    await change_status(
        session,
        ticket,
        "resolve",
        actor_id=actor_id,
        actor_name=actor_name,
        at=at,
        detail={"resolution_code": code, "remote": remote},
        extra_events=[
            TicketResolved(**_step_fields(ticket, at, actor_id), resolution_code=code, summary=summary, remote=remote)
        ],
    )


async def close(
    session: AsyncSession,
    ticket: Ticket,
    action: str,
    *,
    actor_id: UUID | None,
    actor_name: str | None,
    at: datetime | None = None,
    rating: int | None = None,
    feedback: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Closes the loop (闭环): `confirm` by the requester (web, phone or SMS reply) or `auto_close`."""
    at = at or now()
    ticket.closed_at = at
    if rating is not None:
        ticket.rating = rating
    if feedback is not None:
        ticket.feedback = feedback
    await change_status(
        session,
        ticket,
        action,
        actor_id=actor_id,
        actor_name=actor_name,
        at=at,
        reason=reason,
        detail=detail,
        extra_events=[
            TicketClosed(
                **_step_fields(ticket, at, actor_id), rating=rating, feedback=feedback, automatic=action == "auto_close"
            )
        ],
    )


async def confirm(session: AsyncSession, principal: Principal, ticket_id: UUID, body: ConfirmIn) -> Ticket:
    """The requester's confirmation closes the loop, with a rating. The hotline may record one given on
    the phone. An inspection or monitoring ticket has no requester: a dispatcher or the vendor's project
    manager confirms it (SPEC §2a), without a rating."""
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    if ticket.channel in QUIET_CHANNELS:
        _require(principal, *DESK_CONFIRMERS, what="confirming an inspection or monitoring ticket")
    else:
        _require(principal, Role.REQUESTER, Role.HOTLINE_OPERATOR, what="confirming")
        if body.rating is None:
            raise RuleViolation("the requester's confirmation carries a rating, 1 to 5", field="rating",
                                code="ticket.rating_required")  # fmt: skip
    await close(
        session,
        ticket,
        "confirm",
        actor_id=principal.subject,
        actor_name=principal.username,
        rating=body.rating,
        feedback=body.comment,
        detail={"rating": body.rating} if body.rating is not None else {"confirmed_by_desk": True},
    )
    return ticket


async def auto_close(session: AsyncSession, ticket: Ticket, quiet_hours: float) -> None:
    await close(
        session,
        ticket,
        "auto_close",
        actor_id=None,
        actor_name="system",
        reason=f"no reply {quiet_hours:g} h after resolution",
    )


def reopen_window_passed(ticket: Ticket, at: datetime, window: timedelta) -> bool:
    return ticket.resolved_at is not None and at - ticket.resolved_at > window


async def mark_reopened(
    session: AsyncSession,
    ticket: Ticket,
    reason: str,
    *,
    actor_id: UUID | None,
    actor_name: str | None,
    at: datetime | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    at = at or now()
    ticket.reopen_count += 1
    ticket.closed_at = None
    ticket.engineer_name = None
    await change_status(
        session,
        ticket,
        "reopen",
        actor_id=actor_id,
        actor_name=actor_name,
        at=at,
        reason=reason,
        detail=detail,
        extra_events=[TicketReopened(**_step_fields(ticket, at, actor_id), reason=reason)],
    )


async def reopen(
    session: AsyncSession, principal: Principal, ticket_id: UUID, reason: str, window: timedelta
) -> Ticket:
    _require(principal, Role.REQUESTER, Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ADMIN, what="reopening")
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    if reopen_window_passed(ticket, now(), window) and not principal.has_any(Role.ADMIN):
        raise RuleViolation(
            f"tickets can be reopened within {window.days} days of resolution; file a new one",
            field="reason",
            rule="reopen_window",
            code="ticket.reopen_window_passed",
            params={"days": window.days},
        )
    await mark_reopened(session, ticket, reason, actor_id=principal.subject, actor_name=principal.username)
    return ticket


async def cancel(
    session: AsyncSession,
    principal: Principal,
    ticket_id: UUID,
    reason: str,
    *,
    duplicate_of: Ticket | None = None,
) -> Ticket:
    """Withdrawn, or (`duplicate_of`, staff only) closed as a duplicate of the ticket that carries on."""
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    if not principal.has_any(Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ADMIN):
        # A requester withdraws what they filed themselves, and only before anyone took it on.
        if not principal.has_any(Role.REQUESTER) or ticket.created_by != principal.subject:
            raise Forbidden("requesters cancel only tickets they filed themselves", code="ticket.cancel_not_own")
        if ticket.status != "new":
            raise Conflict(
                f"the ticket is already {ticket.status}; ask the hotline to cancel it",
                current_status=ticket.status,
                requested_action="cancel",
                allowed_from=["new"],
                code="ticket.cancel_too_late",
            )
    at = now()
    await change_status(
        session,
        ticket,
        "cancel",
        actor_id=principal.subject,
        actor_name=principal.username,
        at=at,
        reason=reason,
        detail={"duplicate_of": duplicate_of.number} if duplicate_of else None,
        extra_events=[
            TicketCancelled(
                **_step_fields(ticket, at, principal.subject),
                reason=reason,
                duplicate_of=duplicate_of.id if duplicate_of else None,
                duplicate_of_number=duplicate_of.number if duplicate_of else None,
            )
        ],
    )
    return ticket


async def add_comment(session: AsyncSession, principal: Principal, ticket_id: UUID, body: CommentIn) -> Comment:
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    public = body.public or not is_staff(principal)  # what a requester writes, staff and requester both read
    at = now()
    comment = Comment(
        ticket_id=ticket.id,
        author_id=principal.subject,
        author_name=principal.username,
        body=body.body,
        public=public,
        at=at,
    )
    session.add(comment)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="comment" if public else "internal_comment",
            actor_id=principal.subject,
            actor_name=principal.username,
            detail={"comment_id": str(comment.id)},
            at=at,
        )
    )
    ticket.updated_at = at
    ticket.version += 1
    await session.flush()
    await add_event(
        session,
        TicketCommented(
            **_step_fields(ticket, at, principal.subject),
            comment_id=comment.id,
            public=public,
            body=body.body,
            author_name=principal.username,
            author_is_staff=is_staff(principal),
        ),
        producer=PRODUCER,
    )
    return comment
