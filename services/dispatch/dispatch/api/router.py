from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.sla import service
from dispatch.sla.schemas import ClockOut, TicketClocks
from opsdesk_shared.auth import CurrentPrincipal
from opsdesk_shared.errors import NotFound

router = APIRouter(prefix="/api/sla", tags=["sla"])


async def read_session(request: Request):  # type: ignore[no-untyped-def]
    async with request.app.state.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(read_session)]


@router.get("/tickets/{ticket_id}", response_model=TicketClocks)
async def ticket_clocks(ticket_id: UUID, principal: CurrentPrincipal, session: Session) -> TicketClocks:
    clocks = await service.ticket_clocks(session, ticket_id)
    if not clocks:
        raise NotFound(f"no SLA clocks for ticket {ticket_id}")
    out = []
    for clock in clocks:
        elapsed, remaining = service.elapsed_and_remaining(clock)
        out.append(ClockOut(**clock.model_dump(), elapsed_seconds=elapsed, remaining_seconds=remaining))
    return TicketClocks(ticket_id=ticket_id, clocks=out)
