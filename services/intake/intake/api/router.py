from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from intake import service
from intake.api.dependencies import Settings, Uow
from intake.schemas import TicketCreate, TicketDetail, TicketOut, TicketPage, TimelineEntry
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role, require_roles

router = APIRouter(prefix="/api/tickets", tags=["tickets"])

CAN_FILE = (Role.HOTLINE_OPERATOR, Role.REQUESTER, Role.DISPATCHER, Role.ADMIN)
Filer = Annotated[Principal, Depends(require_roles(*CAN_FILE))]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TicketOut)
async def create_ticket(body: TicketCreate, principal: Filer, uow: Uow, settings: Settings) -> TicketOut:
    ticket = await service.create_ticket(uow, principal, body, phone_region=settings.default_phone_region)
    return TicketOut.model_validate(ticket, from_attributes=True)


@router.get("", response_model=TicketPage)
async def list_tickets(
    principal: CurrentPrincipal,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
) -> TicketPage:
    tickets, next_cursor = await service.list_tickets(uow, principal, limit=limit, cursor=cursor, status=status_)
    return TicketPage(
        items=[TicketOut.model_validate(t, from_attributes=True) for t in tickets], next_cursor=next_cursor
    )


@router.get("/{ticket_id}", response_model=TicketDetail)
async def get_ticket(ticket_id: UUID, principal: CurrentPrincipal, uow: Uow) -> TicketDetail:
    ticket = await service.get_ticket(uow, principal, ticket_id)
    events = await service.timeline(uow, ticket.id)
    return TicketDetail(
        **TicketOut.model_validate(ticket, from_attributes=True).model_dump(),
        timeline=[TimelineEntry.model_validate(e, from_attributes=True) for e in events],
    )
