"""/api/tickets: filing, finding, reading, and every step of a ticket's life."""

from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, File, Header, Query, Response, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from intake.api.dependencies import Numbers, Settings, Store
from intake.attachments import service as attachments
from intake.attachments.schemas import AttachmentOut
from intake.directory import service as directory
from intake.tickets import duplicates, export, idempotency, queries, reclassify, service
from intake.tickets import priority as priority_matrix
from intake.tickets.models import Ticket
from intake.tickets.schemas import (
    Backlog,
    CommentIn,
    CommentOut,
    ConfirmIn,
    ContactReasonIn,
    DuplicateIn,
    NoteIn,
    PendingIn,
    PriorityOut,
    ReasonIn,
    ReclassifyIn,
    RequesterContact,
    ResolveIn,
    TicketCreate,
    TicketDetail,
    TicketOut,
    TicketPage,
    TimelineEntry,
)
from opsdesk_shared import privacy
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from opsdesk_shared.contracts.vocabulary import Level, Priority
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import RuleViolation
from opsdesk_shared.phones import normalise_phone

router = APIRouter(prefix="/api/tickets", tags=["tickets"])

CAN_FILE = (Role.HOTLINE_OPERATOR, Role.REQUESTER, Role.DISPATCHER, Role.ADMIN)
Filer = Annotated[Principal, Depends(require_roles(*CAN_FILE))]
# People who read tickets for their work; the security administrator, the auditor and system clients do not.
TicketReader = Annotated[
    Principal, Depends(require_roles(*CAN_FILE, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER))
]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="retry-safe creation: same key, same ticket"),
]


def _out(ticket: Ticket, principal: Principal) -> TicketOut:
    """The ticket as this caller may see it: the requester's name and phone masked for roles that need not
    contact them (opsdesk_shared/privacy.py)."""
    out = TicketOut.model_validate(ticket, from_attributes=True)
    return out.model_copy(
        update={
            "requester_name": privacy.name_for(principal, out.requester_name),
            "requester_phone": privacy.phone_for(principal, out.requester_phone),
        }
    )


async def _detail(session: AsyncSession, principal: Principal, ticket: Ticket) -> TicketDetail:
    duplicate_of, duplicated_by = await duplicates.links(session, principal, ticket.id)
    steps = await service.timeline(session, ticket.id, principal)
    notes = await service.comments(session, ticket.id, principal)
    # Who did it, by the name people know them by (the lines keep the account name they were written with).
    # A work-order step names its engineer as its actor: that name is dispatch's display name already.
    names = await directory.display_names(
        session, {e.actor_id for e in steps if e.actor_id} | {c.author_id for c in notes if c.author_id}
    )
    return TicketDetail(
        **_out(ticket, principal).model_dump(),
        duplicate_of=duplicate_of,
        duplicates=duplicated_by,
        timeline=[
            TimelineEntry.model_validate(e, from_attributes=True).model_copy(
                update={"actor_name": names.get(e.actor_id, e.actor_name) if e.actor_id else e.actor_name}
            )
            for e in steps
        ],
        comments=[
            CommentOut.model_validate(c, from_attributes=True).model_copy(
                update={"author_name": names.get(c.author_id, c.author_name) if c.author_id else c.author_name}
            )
            for c in notes
        ],
        attachments=[
            AttachmentOut.model_validate(a, from_attributes=True)
            for a in await attachments.list_for(session, ticket.id)
        ],
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TicketOut)
async def create_ticket(
    body: TicketCreate,
    principal: Filer,
    uow: Uow,
    settings: Settings,
    numbers: Numbers,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TicketOut:
    if idempotency_key:
        earlier = await idempotency.claim(
            uow, principal, idempotency_key, idempotency.request_hash(body.model_dump(mode="json"))
        )
        if earlier is not None:
            response.headers["Idempotent-Replayed"] = "true"
            return _out(await service.get_ticket(uow, principal, earlier), principal)
    ticket = await service.create_ticket(
        uow, principal, body, phone_region=settings.default_phone_region, numbers=numbers
    )
    if idempotency_key:
        await idempotency.record(uow, principal, idempotency_key, ticket.id)
    return _out(ticket, principal)


async def _filters(
    principal: CurrentPrincipal,
    settings: Settings,
    status_: Annotated[list[str] | None, Query(alias="status", max_length=10)] = None,
    category: Annotated[str | None, Query(max_length=20)] = None,
    priority: Annotated[str | None, Query(pattern="^P[1-4]$")] = None,
    unit_id: Annotated[UUID | None, Query(description="that unit and all units under it")] = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    sla_state: Annotated[str | None, Query(pattern="^(on_track|warning|breached)$")] = None,
    engineer: Annotated[
        str | None, Query(min_length=1, max_length=50, description="the assigned engineer's name")
    ] = None,
    created_from: Annotated[datetime | None, Query(alias="from")] = None,
    created_to: Annotated[datetime | None, Query(alias="to")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="substring of number, title, description, requester (roles that see it), asset, place",
        ),
    ] = None,
    requester_phone: Annotated[str | None, Query(max_length=32)] = None,
) -> queries.TicketFilter:
    """The list's filters, shared by the list and its CSV export so both show the same tickets."""
    if requester_phone:
        privacy.refuse_lookup_by(principal, "requester_phone")
    return queries.TicketFilter(
        status=status_,
        category=category,
        priority=priority,
        unit_id=unit_id,
        channel=channel,
        sla_state=sla_state,
        engineer=engineer,
        created_from=created_from,
        created_to=created_to,
        q=q,
        requester_phone=normalise_phone(requester_phone, settings.default_phone_region, field="requester_phone")
        if requester_phone
        else None,
        search_personal_data=privacy.sees_contacts(principal),
    )


Filters = Annotated[queries.TicketFilter, Depends(_filters)]
SortBy = Annotated[
    str | None,
    Query(
        max_length=20,
        description=f"{', '.join(queries.SORTS)}; '-' for descending; pages with `page`",
    ),
]
# The staff who work through lists of tickets; a requester has the portal's list of their unit.
ListReader = Annotated[
    Principal,
    Depends(require_roles(Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.ADMIN)),
]


@router.get("", response_model=TicketPage)
async def list_tickets(
    principal: CurrentPrincipal,
    uow: Uow,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    sort: SortBy = None,
    page: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> TicketPage:
    if page is not None and sort is None:
        raise RuleViolation(
            "page goes with sort; without sort, page with cursor", field="page", code="query.page_needs_sort"
        )
    tickets, next_cursor, next_page = await queries.list_tickets(
        uow, principal, filters, limit=limit, cursor=cursor, sort=sort, page=page
    )
    return TicketPage(
        items=[_out(t, principal) for t in tickets],
        next_cursor=next_cursor,
        next_page=next_page,
        # The count makes the page count of numbered pages; the cursor's endless lists (the portal, the
        # hotline's live refreshes) are spared the extra scan.
        total=await queries.count_tickets(uow, principal, filters) if sort is not None else None,
    )


@router.get("/export", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def export_tickets(principal: ListReader, uow: Uow, filters: Filters, sort: SortBy = None) -> Response:
    """The list's view as CSV (same filters and sort), masked as the caller sees it."""
    tickets, _, _ = await queries.list_tickets(
        uow, principal, filters, limit=export.MAX_ROWS + 1, sort=sort or "-created_at", page=1
    )
    truncated = len(tickets) > export.MAX_ROWS
    tickets = tickets[: export.MAX_ROWS]
    body = export.csv_text(
        principal, tickets, await export.unit_names(uow, {t.unit_id for t in tickets}), truncated=truncated
    )
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename*=UTF-8''tickets.csv"},
    )


@router.get("/backlog", response_model=Backlog)
async def backlog(principal: ListReader, uow: Uow) -> Backlog:
    """Open tickets now (pending included), by status and by priority."""
    counts = await queries.backlog(uow, principal)
    return Backlog(total=sum(counts["by_status"].values()), **counts)


@router.get("/priority", response_model=PriorityOut)
async def computed_priority(_: Filer, impact: Level, urgency: Level) -> PriorityOut:
    """The priority a ticket with this impact and urgency gets: the forms show it live, from this one matrix."""
    return PriorityOut(impact=impact, urgency=urgency, priority=Priority(priority_matrix.from_matrix(impact, urgency)))


@router.get("/duplicates", response_model=list[TicketOut])
async def duplicate_hints(
    principal: CurrentPrincipal,
    uow: Uow,
    settings: Settings,
    unit_id: UUID | None = None,
    asset_tag: Annotated[str | None, Query(max_length=64)] = None,
    requester_phone: Annotated[str | None, Query(max_length=32)] = None,
) -> list[TicketOut]:
    """Open tickets of the same unit, asset or caller filed in the last 24 h: offered before filing."""
    if requester_phone:
        privacy.refuse_lookup_by(principal, "requester_phone")
    phone = (
        normalise_phone(requester_phone, settings.default_phone_region, field="requester_phone")
        if requester_phone
        else None
    )
    found = await queries.duplicate_hints(uow, principal, unit_id=unit_id, asset_tag=asset_tag, requester_phone=phone)
    return [_out(t, principal) for t in found]


@router.get("/{ticket_id}", response_model=TicketDetail)
async def get_ticket(ticket_id: UUID, principal: CurrentPrincipal, uow: Uow) -> TicketDetail:
    return await _detail(uow, principal, await service.get_ticket(uow, principal, ticket_id))


@router.post("/{ticket_id}/contact", response_model=RequesterContact)
async def reveal_contact(ticket_id: UUID, body: ContactReasonIn, principal: TicketReader, uow: Uow) -> RequesterContact:
    """The requester's name and phone in full, for a caller who sees them masked and has a reason to reach
    them. Recorded in the ticket's timeline (`contact_viewed`) and, with the reason, in the audit log."""
    ticket = await service.reveal_contact(uow, principal, ticket_id, body.reason)
    return RequesterContact(requester_name=ticket.requester_name, requester_phone=ticket.requester_phone)


@router.post("/{ticket_id}/reclassify", response_model=TicketDetail)
async def reclassify_ticket(ticket_id: UUID, body: ReclassifyIn, principal: CurrentPrincipal, uow: Uow) -> TicketDetail:
    """Staff correct a filed ticket: unit, category, kind of work (`subcategory`), priority (with
    `priority_reason`), title, asset. Each change lands in the timeline and `ticket.updated`; dispatch
    re-targets the SLA clocks from the change on."""
    return await _detail(uow, principal, await reclassify.reclassify(uow, principal, ticket_id, body))


@router.post("/{ticket_id}/pending", response_model=TicketDetail)
async def pend(ticket_id: UUID, body: PendingIn, principal: CurrentPrincipal, uow: Uow) -> TicketDetail:
    """Waiting on the requester or the bureau: pauses the SLA clocks; the reason is shown to the requester."""
    return await _detail(uow, principal, await service.pend(uow, principal, ticket_id, body.reason))


@router.post("/{ticket_id}/resume", response_model=TicketDetail)
async def resume(ticket_id: UUID, principal: CurrentPrincipal, uow: Uow, body: NoteIn | None = None) -> TicketDetail:
    return await _detail(uow, principal, await service.resume(uow, principal, ticket_id, body.note if body else None))


@router.post("/{ticket_id}/resolve", response_model=TicketDetail)
async def resolve(ticket_id: UUID, body: ResolveIn, principal: CurrentPrincipal, uow: Uow) -> TicketDetail:
    """Remote / first-call resolution without a site visit."""
    ticket = await service.resolve_remotely(uow, principal, ticket_id, body.resolution_code, body.summary)
    return await _detail(uow, principal, ticket)


@router.post("/{ticket_id}/confirm", response_model=TicketDetail)
async def confirm(ticket_id: UUID, body: ConfirmIn, principal: CurrentPrincipal, uow: Uow) -> TicketDetail:
    return await _detail(uow, principal, await service.confirm(uow, principal, ticket_id, body))


@router.post("/{ticket_id}/reopen", response_model=TicketDetail)
async def reopen(
    ticket_id: UUID, body: ReasonIn, principal: CurrentPrincipal, uow: Uow, settings: Settings
) -> TicketDetail:
    window = timedelta(days=settings.reopen_window_days)
    return await _detail(uow, principal, await service.reopen(uow, principal, ticket_id, body.reason, window))


@router.post("/{ticket_id}/cancel", response_model=TicketDetail)
async def cancel(ticket_id: UUID, body: ReasonIn, principal: CurrentPrincipal, uow: Uow) -> TicketDetail:
    return await _detail(uow, principal, await service.cancel(uow, principal, ticket_id, body.reason))


@router.post("/{ticket_id}/duplicate", response_model=TicketDetail)
async def mark_duplicate(ticket_id: UUID, body: DuplicateIn, principal: CurrentPrincipal, uow: Uow) -> TicketDetail:
    """Closes the ticket as a duplicate of `of_number`: cancelled with the reason "duplicate of <number>",
    its clocks stopped, its requester told the surviving number and allowed to read that ticket."""
    ticket = await duplicates.mark_duplicate(uow, principal, ticket_id, body.of_number)
    return await _detail(uow, principal, ticket)


@router.post("/{ticket_id}/comments", response_model=CommentOut, status_code=status.HTTP_201_CREATED)
async def add_comment(ticket_id: UUID, body: CommentIn, principal: CurrentPrincipal, uow: Uow) -> CommentOut:
    return CommentOut.model_validate(await service.add_comment(uow, principal, ticket_id, body), from_attributes=True)


@router.get("/{ticket_id}/comments", response_model=list[CommentOut])
async def list_comments(ticket_id: UUID, principal: CurrentPrincipal, uow: Uow) -> list[CommentOut]:
    await service.get_ticket(uow, principal, ticket_id)
    return [
        CommentOut.model_validate(c, from_attributes=True) for c in await service.comments(uow, ticket_id, principal)
    ]


@router.post("/{ticket_id}/attachments", response_model=AttachmentOut, status_code=status.HTTP_201_CREATED)
async def upload_attachment(
    ticket_id: UUID,
    principal: CurrentPrincipal,
    uow: Uow,
    store: Store,
    file: Annotated[UploadFile, File(description="image or PDF, at most 10 MiB")],
) -> AttachmentOut:
    data = await file.read(attachments.MAX_BYTES + 1)
    attachment = await attachments.attach(
        uow, store, principal, ticket_id, file.filename or "unnamed", file.content_type, data
    )
    return AttachmentOut.model_validate(attachment, from_attributes=True)


@router.get("/{ticket_id}/attachments/{attachment_id}", response_class=Response)
async def download_attachment(
    ticket_id: UUID, attachment_id: UUID, principal: CurrentPrincipal, uow: Uow, store: Store
) -> Response:
    """Images open in the browser; anything else downloads, so a PDF never renders in the desk's origin."""
    attachment, data = await attachments.read(uow, store, principal, ticket_id, attachment_id)
    disposition = "inline" if attachment.content_type.startswith("image/") else "attachment"
    return Response(
        data,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(attachment.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
