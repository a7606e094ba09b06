"""/api/work-orders: the engineer's job from assignment to resolution."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.api.dependencies import Manager
from dispatch.directory.models import StaffMember, Unit
from dispatch.workorders import schemas, service, tickets
from dispatch.workorders.models import WorkOrder
from opsdesk_shared.auth import CurrentPrincipal, Principal, Role, require_roles
from opsdesk_shared.dependencies import Uow

router = APIRouter(prefix="/api/work-orders", tags=["work orders"])

Approver = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN))]
Status = Annotated[str | None, Query(pattern="^(assigned|accepted|en_route|on_site|resolved|cancelled|declined)$")]


async def _out(session: AsyncSession, order: WorkOrder) -> schemas.WorkOrderOut:
    ticket = await tickets.get_ticket(session, order.ticket_id)
    engineer = await session.get(StaffMember, order.engineer_id)
    unit = await session.get(Unit, ticket.unit_id) if ticket else None
    due = await service.due_times(session, order.ticket_id)
    return schemas.WorkOrderOut(
        **order.values(),
        ticket_number=ticket.number if ticket else None,
        ticket_title=ticket.title if ticket else None,
        ticket_priority=ticket.priority if ticket else None,
        engineer_name=engineer.display_name if engineer else None,
        unit_id=ticket.unit_id if ticket else None,
        unit_name=unit.name if unit else None,
        location=ticket.location if ticket else None,
        arrival_due_at=due.get("arrival"),
        resolution_due_at=due.get("resolution"),
    )


async def _detail(session: AsyncSession, order: WorkOrder) -> schemas.WorkOrderDetail:
    base = (await _out(session, order)).model_dump()
    parts = await service.detail(session, order)
    return schemas.WorkOrderDetail(
        **base,
        steps=[schemas.StepOut.model_validate(s, from_attributes=True) for s in parts["steps"]],
        work_log=[schemas.WorkLogOut.model_validate(s, from_attributes=True) for s in parts["work_log"]],
        parts=[schemas.PartOut.model_validate(s, from_attributes=True) for s in parts["parts"]],
        media=[schemas.MediaCustodyOut.model_validate(s, from_attributes=True) for s in parts["media"]],
        removals=[schemas.RemovalOut.model_validate(s, from_attributes=True) for s in parts["removals"]],
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.WorkOrderDetail)
async def assign(body: schemas.AssignIn, principal: Manager, uow: Uow) -> schemas.WorkOrderDetail:
    return await _detail(uow, await service.assign(uow, principal, body))


@router.get("", response_model=schemas.WorkOrderPage)
async def list_work_orders(
    principal: CurrentPrincipal,
    uow: Uow,
    ticket_id: UUID | None = None,
    engineer_id: UUID | None = None,
    status_: Annotated[Status, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.WorkOrderPage:
    orders = await service.list_orders(
        uow, principal, ticket_id=ticket_id, engineer_id=engineer_id, status=status_, limit=limit
    )
    return schemas.WorkOrderPage(items=[await _out(uow, o) for o in orders])


@router.get("/{order_id}", response_model=schemas.WorkOrderDetail)
async def get_work_order(order_id: UUID, principal: CurrentPrincipal, uow: Uow) -> schemas.WorkOrderDetail:
    return await _detail(uow, await service.load(uow, principal, order_id))


@router.post("/{order_id}/reassign", response_model=schemas.WorkOrderDetail)
async def reassign(order_id: UUID, body: schemas.ReassignIn, principal: Manager, uow: Uow) -> schemas.WorkOrderDetail:
    return await _detail(uow, await service.reassign(uow, principal, order_id, body))


@router.post("/{order_id}/cancel", response_model=schemas.WorkOrderDetail)
async def cancel(order_id: UUID, body: schemas.CancelIn, principal: Manager, uow: Uow) -> schemas.WorkOrderDetail:
    return await _detail(uow, await service.cancel(uow, principal, order_id, body.reason))


@router.post("/{order_id}/accept", response_model=schemas.WorkOrderDetail)
async def accept(
    order_id: UUID, principal: CurrentPrincipal, uow: Uow, body: schemas.StepIn | None = None
) -> schemas.WorkOrderDetail:
    return await _detail(uow, await service.field_step(uow, principal, order_id, "accept", body.note if body else None))


@router.post("/{order_id}/decline", response_model=schemas.WorkOrderDetail)
async def decline(
    order_id: UUID, body: schemas.DeclineIn, principal: CurrentPrincipal, uow: Uow
) -> schemas.WorkOrderDetail:
    """The assigned engineer turns the job down with a reason; the ticket is back in the dispatcher's queue."""
    return await _detail(uow, await service.decline(uow, principal, order_id, body.reason))


@router.post("/{order_id}/depart", response_model=schemas.WorkOrderDetail)
async def depart(
    order_id: UUID, principal: CurrentPrincipal, uow: Uow, body: schemas.StepIn | None = None
) -> schemas.WorkOrderDetail:
    return await _detail(uow, await service.field_step(uow, principal, order_id, "depart", body.note if body else None))


@router.post("/{order_id}/arrive", response_model=schemas.WorkOrderDetail)
async def arrive(
    order_id: UUID, principal: CurrentPrincipal, uow: Uow, body: schemas.StepIn | None = None
) -> schemas.WorkOrderDetail:
    """The on-site check-in: stops the arrival clock."""
    return await _detail(uow, await service.field_step(uow, principal, order_id, "arrive", body.note if body else None))


@router.post("/{order_id}/resolve", response_model=schemas.WorkOrderDetail)
async def resolve(
    order_id: UUID, body: schemas.ResolveIn, principal: CurrentPrincipal, uow: Uow
) -> schemas.WorkOrderDetail:
    return await _detail(uow, await service.resolve(uow, principal, order_id, body))


@router.post("/{order_id}/parts", response_model=schemas.WorkOrderDetail, status_code=status.HTTP_201_CREATED)
async def add_parts(
    order_id: UUID, body: list[schemas.PartIn], principal: CurrentPrincipal, uow: Uow
) -> schemas.WorkOrderDetail:
    return await _detail(uow, await service.add_parts(uow, principal, order_id, body))


@router.post("/{order_id}/work-log", response_model=schemas.WorkLogOut, status_code=status.HTTP_201_CREATED)
async def add_work_log(
    order_id: UUID, body: schemas.WorkLogIn, principal: CurrentPrincipal, uow: Uow
) -> schemas.WorkLogOut:
    entry = await service.add_work_log(uow, principal, order_id, body)
    return schemas.WorkLogOut.model_validate(entry, from_attributes=True)


@router.post("/{order_id}/media", response_model=schemas.MediaCustodyOut, status_code=status.HTTP_201_CREATED)
async def record_media(
    order_id: UUID, body: schemas.MediaCustodyIn, principal: CurrentPrincipal, uow: Uow
) -> schemas.MediaCustodyOut:
    record = await service.record_media(uow, principal, order_id, body)
    return schemas.MediaCustodyOut.model_validate(record, from_attributes=True)


@router.post("/{order_id}/removals", response_model=schemas.RemovalOut, status_code=status.HTTP_201_CREATED)
async def request_removal(
    order_id: UUID, body: schemas.RemovalIn, principal: CurrentPrincipal, uow: Uow
) -> schemas.RemovalOut:
    record = await service.request_removal(uow, principal, order_id, body)
    return schemas.RemovalOut.model_validate(record, from_attributes=True)


@router.post("/{order_id}/removals/{removal_id}/decision", response_model=schemas.RemovalOut)
async def decide_removal(
    order_id: UUID, removal_id: UUID, body: schemas.RemovalDecisionIn, principal: Approver, uow: Uow
) -> schemas.RemovalOut:
    """The bureau's supervisor (or an admin) approves or refuses taking equipment off the premises."""
    record = await service.decide_removal(uow, principal, order_id, removal_id, body)
    return schemas.RemovalOut.model_validate(record, from_attributes=True)
