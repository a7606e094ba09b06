"""/api/sla: policies, calendar overrides, and a ticket's clocks."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import select

from dispatch.api.dependencies import Admin, Overseer
from dispatch.directory import service as directory
from dispatch.sla import calendars, escalations, policies
from dispatch.sla import service as sla
from dispatch.sla.models import CalendarOverride
from dispatch.sla.schemas import (
    CalendarDayOut,
    CalendarOverrideIn,
    CalendarOverrideOut,
    ClockOut,
    EscalationOut,
    PauseOut,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    TicketClocks,
)
from dispatch.workorders import tickets
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import NotFound, RuleViolation

router = APIRouter(prefix="/api/sla", tags=["sla"])

# Acknowledging an escalation is the dispatcher's duty: the record says which dispatcher saw it.
Dispatcher = Annotated[Principal, Depends(require_roles(Role.DISPATCHER))]


@router.get("/escalations", response_model=list[EscalationOut])
async def open_escalations(
    principal: Overseer, uow: Uow, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[EscalationOut]:
    """Warnings and breaches fired and not yet acknowledged, still relevant (sla/escalations.py)."""
    return [EscalationOut(**row) for row in await escalations.list_open(uow, limit=limit)]


@router.post("/escalations/{escalation_id}/acknowledge", response_model=EscalationOut)
async def acknowledge_escalation(escalation_id: UUID, dispatcher: Dispatcher, uow: Uow) -> EscalationOut:
    return EscalationOut(**await escalations.acknowledge(uow, escalation_id, dispatcher))


@router.get("/tickets/{ticket_id}", response_model=TicketClocks)
async def ticket_clocks(ticket_id: UUID, principal: CurrentPrincipal, uow: Uow) -> TicketClocks:
    if not principal.has_any(
        Role.DISPATCHER, Role.ADMIN, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.ENGINEER, Role.HOTLINE_OPERATOR
    ):
        # A requester sees the clocks of their own unit's subtree only; anyone else (the auditor, the security
        # administrator, a system client: no business with tickets, whatever unit their account sits in)
        # none, as in intake. The clocks of a ticket one may not read do not exist for them.
        ticket = await tickets.get_ticket(uow, ticket_id) if principal.has_any(Role.REQUESTER) else None
        if ticket is None or principal.unit_id not in await directory.unit_path(uow, ticket.unit_id):
            raise NotFound(f"no SLA clocks for ticket {ticket_id}", code="sla.no_clocks")
    clocks = await sla.ticket_clocks(uow, ticket_id)
    if not clocks:
        raise NotFound(f"no SLA clocks for ticket {ticket_id}", code="sla.no_clocks")
    pauses = await sla.ticket_pauses(uow, [c.id for c in clocks])
    out = []
    for clock in clocks:
        figures = await sla.clock_figures(uow, clock)
        data = clock.values() | figures
        data["pauses"] = [PauseOut.model_validate(p, from_attributes=True) for p in pauses if p.clock_id == clock.id]
        out.append(ClockOut(**data))
    return TicketClocks(ticket_id=ticket_id, clocks=out)


@router.get("/policies", response_model=list[PolicyOut])
async def list_policies(principal: CurrentPrincipal, uow: Uow) -> list[PolicyOut]:
    return [PolicyOut.model_validate(p, from_attributes=True) for p in await policies.list_all(uow)]


@router.post("/policies", response_model=PolicyOut, status_code=status.HTTP_201_CREATED)
async def create_policy(body: PolicyIn, admin: Admin, uow: Uow) -> PolicyOut:
    return PolicyOut.model_validate(await policies.create(uow, body), from_attributes=True)


@router.get("/policies/{policy_id}", response_model=PolicyOut)
async def get_policy(policy_id: UUID, principal: CurrentPrincipal, uow: Uow) -> PolicyOut:
    return PolicyOut.model_validate(await policies.get(uow, policy_id), from_attributes=True)


@router.patch("/policies/{policy_id}", response_model=PolicyOut)
async def update_policy(policy_id: UUID, body: PolicyPatch, admin: Admin, uow: Uow) -> PolicyOut:
    return PolicyOut.model_validate(await policies.update(uow, policy_id, body), from_attributes=True)


@router.delete("/policies/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_policy(policy_id: UUID, admin: Admin, uow: Uow) -> None:
    """Retires the policy: it matches no new ticket. It stays on record, because clocks and reports name it."""
    policy = await policies.get(uow, policy_id, lock=True)
    policy.is_active = False


@router.get("/calendar/{day}", response_model=CalendarDayOut)
async def calendar_day(day: date, principal: CurrentPrincipal, uow: Uow) -> CalendarDayOut:
    override = await uow.get(CalendarOverride, day)
    if override is not None:
        return CalendarDayOut(day=day, is_workday=override.is_workday, source="override")
    is_workday, source = calendars.statutory_day(day)
    return CalendarDayOut(day=day, is_workday=is_workday, source=source)


@router.get("/calendar-overrides", response_model=list[CalendarOverrideOut])
async def list_overrides(principal: CurrentPrincipal, uow: Uow) -> list[CalendarOverrideOut]:
    rows = await uow.execute(select(CalendarOverride).order_by(CalendarOverride.day))
    return [CalendarOverrideOut.model_validate(r, from_attributes=True) for r in rows.scalars()]


@router.put("/calendar-overrides/{day}", response_model=CalendarOverrideOut)
async def put_override(day: date, body: CalendarOverrideIn, admin: Admin, uow: Uow) -> CalendarOverrideOut:
    """Applies to clocks started or resumed afterwards; running clocks keep the instants already placed."""
    if not 2000 <= day.year <= 2100:
        raise RuleViolation("day out of range", field="day", code="validation.not_a_date")
    override = await uow.get(CalendarOverride, day)
    if override is None:
        override = CalendarOverride(day=day, is_workday=body.is_workday, note=body.note)
        uow.add(override)
    else:
        override.is_workday, override.note = body.is_workday, body.note
    return CalendarOverrideOut(day=day, is_workday=body.is_workday, note=body.note)
