"""/api/calls and /api/callers/{phone}: the hotline's log and the caller lookup."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from intake.api.dependencies import Settings
from intake.calls import service
from intake.calls.models import Call
from intake.calls.schemas import CallerOut, CallerTicket, CallIn, CallOut, CallPatch, KnownPerson
from intake.directory import service as directory
from opsdesk_shared import privacy
from opsdesk_shared.auth import Principal, Role, require_roles
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.phones import normalise_phone

router = APIRouter(tags=["calls"])

Hotline = Annotated[Principal, Depends(require_roles(Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ADMIN))]
CallReader = Annotated[
    Principal,
    Depends(require_roles(Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.ADMIN)),
]
# Who is ringing: for those who talk to callers. To a role that sees numbers masked (privacy.py) any answer,
# even a masked one, would say whose number it is and what they reported.
CallerLookup = Annotated[Principal, Depends(require_roles(Role.HOTLINE_OPERATOR, Role.DISPATCHER))]


def _out(call: object, principal: Principal, names: dict[UUID, str] | None = None) -> CallOut:
    """The call as this caller may see it: the number masked for roles that need not ring back, the operator
    by the name people know them by (the call keeps the account name it was logged with)."""
    out = CallOut.model_validate(call, from_attributes=True)
    operator = (names or {}).get(out.operator_id, out.operator_name) if out.operator_id else out.operator_name
    return out.model_copy(
        update={"caller_phone": privacy.phone_for(principal, out.caller_phone), "operator_name": operator}
    )


async def _all_out(session: AsyncSession, calls: list[Call], principal: Principal) -> list[CallOut]:
    names = await directory.display_names(session, {c.operator_id for c in calls if c.operator_id})
    return [_out(c, principal, names) for c in calls]


@router.post("/api/calls", response_model=CallOut, status_code=status.HTTP_201_CREATED)
async def log_call(body: CallIn, principal: Hotline, uow: Uow, settings: Settings) -> CallOut:
    call = await service.log_call(uow, principal, body, settings.default_phone_region)
    return (await _all_out(uow, [call], principal))[0]


@router.patch("/api/calls/{call_id}", response_model=CallOut)
async def update_call(call_id: UUID, body: CallPatch, principal: Hotline, uow: Uow) -> CallOut:
    return (await _all_out(uow, [await service.update_call(uow, principal, call_id, body)], principal))[0]


@router.get("/api/calls", response_model=list[CallOut])
async def list_calls(
    principal: CallReader,
    uow: Uow,
    settings: Settings,
    phone: Annotated[str | None, Query(max_length=32)] = None,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CallOut]:
    if phone:
        privacy.refuse_lookup_by(principal, "phone")
    number = normalise_phone(phone, settings.default_phone_region, field="phone") if phone else None
    calls = await service.list_calls(uow, phone=number, start=from_, end=to, limit=limit)
    return await _all_out(uow, list(calls), principal)


@router.get("/api/callers/{phone}", response_model=CallerOut)
async def caller(phone: str, principal: CallerLookup, uow: Uow, settings: Settings) -> CallerOut:
    number = normalise_phone(phone, settings.default_phone_region, field="phone")
    info = await service.caller(uow, number)
    return CallerOut(
        phone=number,
        known_users=[KnownPerson.model_validate(u, from_attributes=True) for u in info.known_users],
        calls=await _all_out(uow, info.calls, principal),
        open_tickets=[CallerTicket.model_validate(t, from_attributes=True) for t in info.open_tickets],
        recent_tickets=[CallerTicket.model_validate(t, from_attributes=True) for t in info.recent_tickets],
    )
