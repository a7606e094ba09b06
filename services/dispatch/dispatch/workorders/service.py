"""Work orders: assign, reassign, accept, depart, arrive, resolve, cancel — each one allowed transition,
recorded as a step and announced as an event in the same transaction — and what a repair records."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory.models import StaffMember, Unit
from dispatch.sla import service as sla
from dispatch.sla.models import SlaClock
from dispatch.workorders import costs, schemas, states, tickets
from dispatch.workorders.models import (
    DispatchTicket,
    EquipmentRemoval,
    MediaCustody,
    Part,
    WorkLogEntry,
    WorkOrder,
    WorkOrderStep,
)
from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.contracts import dispatch as events
from opsdesk_shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event

PRODUCER = "dispatch"
MANAGERS = (Role.DISPATCHER, Role.ADMIN)
READERS = (Role.DISPATCHER, Role.ADMIN, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.HOTLINE_OPERATOR)


def _now() -> datetime:
    return datetime.now(UTC)


async def _engineer(session: AsyncSession, engineer_id: UUID) -> StaffMember:
    member = await session.get(StaffMember, engineer_id)
    if member is None or not member.is_active or Role.ENGINEER.value not in member.roles:
        raise RuleViolation(f"{engineer_id} is not an active engineer", field="engineer_id", code="engineer.not_active")
    return member


async def _arrival_due(session: AsyncSession, ticket_id: UUID) -> datetime | None:
    return await session.scalar(
        select(SlaClock.due_at).where(SlaClock.ticket_id == ticket_id, SlaClock.metric == "arrival")
    )


async def _whereabouts(session: AsyncSession, ticket: DispatchTicket | None) -> dict[str, str | None]:
    """Where the engineer goes: the unit's name and the place on its premises."""
    if ticket is None:
        return {}
    unit = await session.get(Unit, ticket.unit_id)
    return {"unit_name": unit.name if unit else None, "location": ticket.location}


def _visible(order: WorkOrder, principal: Principal) -> bool:
    return principal.has_any(*READERS) or order.engineer_id == principal.subject


async def load(session: AsyncSession, principal: Principal, order_id: UUID, *, lock: bool = False) -> WorkOrder:
    stmt = select(WorkOrder).where(WorkOrder.id == order_id)
    if lock:
        stmt = stmt.with_for_update()
    order = (await session.execute(stmt)).scalar()
    if order is None or not _visible(order, principal):
        raise NotFound(f"no work order {order_id}", code="work_order.not_found")
    return order


def _require_hands_on(order: WorkOrder, principal: Principal) -> None:
    """Field steps are the assigned engineer's, or a dispatcher's on their behalf (e.g. a phoned-in arrival)."""
    if order.engineer_id != principal.subject and not principal.has_any(*MANAGERS):
        raise Forbidden("only the assigned engineer or a dispatcher may do this", code="work_order.not_yours")


async def _announce(
    session: AsyncSession,
    event_cls: type[events.WorkOrderEvent],
    order: WorkOrder,
    principal: Principal,
    at: datetime,
    **extra: Any,
) -> None:
    engineer = await session.get(StaffMember, order.engineer_id)
    ticket = await tickets.get_ticket(session, order.ticket_id)
    await add_event(
        session,
        event_cls(
            work_order_id=order.id,
            ticket_id=order.ticket_id,
            ticket_number=ticket.number if ticket else None,
            status=order.status,
            engineer_id=order.engineer_id,
            engineer_name=engineer.display_name if engineer else "",
            engineer_phone=engineer.phone if engineer else None,
            actor_id=principal.subject,
            at=at,
            **extra,
        ),
        producer=PRODUCER,
    )


def _step(
    order: WorkOrder, action: str, before: str | None, principal: Principal, at: datetime, reason: str | None = None
) -> WorkOrderStep:
    return WorkOrderStep(
        work_order_id=order.id,
        action=action,
        from_status=before,
        to_status=order.status,
        actor_id=principal.subject,
        engineer_id=order.engineer_id,
        reason=reason,
        at=at,
    )


async def assign(session: AsyncSession, principal: Principal, body: schemas.AssignIn) -> WorkOrder:
    ticket = await tickets.get_ticket(session, body.ticket_id, lock=True)
    if ticket is None:
        raise RuleViolation(f"dispatch has no ticket {body.ticket_id}", field="ticket_id", code="ticket.not_found")
    if ticket.status in tickets.FINISHED:
        raise Conflict(
            f"ticket {ticket.number} is {ticket.status}; nothing to assign",
            current_status=ticket.status,
            code="work_order.ticket_closed",
        )
    await _engineer(session, body.engineer_id)
    # The ticket row is locked above, so this check and the insert cannot interleave with another
    # assignment; the partial unique index stays as the database's own guarantee.
    live = await session.scalar(
        select(WorkOrder.id).where(WorkOrder.ticket_id == ticket.id, WorkOrder.status.in_(states.ACTIVE))
    )
    if live is not None:
        raise Conflict(
            f"ticket {ticket.number} already has an active work order; reassign it instead",
            work_order_id=str(live),
            code="work_order.already_active",
        )
    at = _now()
    order = WorkOrder(
        ticket_id=ticket.id,
        engineer_id=body.engineer_id,
        status="assigned",
        assigned_by=principal.subject,
        assigned_at=at,
    )
    session.add(order)
    await session.flush()
    session.add(_step(order, "assign", None, principal, at, body.note))
    ticket.status = "assigned"
    # A dispatcher taking the ticket on is its first acknowledgement.
    await sla.stop_clocks(session, ticket.id, ["response"], at=at, number=ticket.number)
    await _announce(
        session,
        events.WorkOrderAssigned,
        order,
        principal,
        at,
        expected_arrival_at=await _arrival_due(session, ticket.id),
        **await _whereabouts(session, ticket),
    )
    return order


async def reassign(session: AsyncSession, principal: Principal, order_id: UUID, body: schemas.ReassignIn) -> WorkOrder:
    order = await load(session, principal, order_id, lock=True)
    before = order.status
    order.status = states.next_status(before, "reassign")
    if body.engineer_id == order.engineer_id:
        raise RuleViolation(
            "the work order is already assigned to this engineer", field="engineer_id", code="work_order.same_engineer"
        )
    await _engineer(session, body.engineer_id)
    previous = order.engineer_id
    at = _now()
    order.engineer_id = body.engineer_id
    order.assigned_at, order.assigned_by = at, principal.subject
    order.accepted_at = order.departed_at = order.arrived_at = None
    order.version += 1
    session.add(_step(order, "reassign", before, principal, at, body.reason))
    await _announce(
        session,
        events.WorkOrderReassigned,
        order,
        principal,
        at,
        previous_engineer_id=previous,
        reason=body.reason,
        expected_arrival_at=await _arrival_due(session, order.ticket_id),
        **await _whereabouts(session, await tickets.get_ticket(session, order.ticket_id)),
    )
    return order


STEP_EVENTS: dict[str, tuple[type[events.WorkOrderEvent], str]] = {
    "accept": (events.WorkOrderAccepted, "accepted_at"),
    "depart": (events.WorkOrderDeparted, "departed_at"),
    "arrive": (events.WorkOrderArrived, "arrived_at"),
}


async def field_step(
    session: AsyncSession, principal: Principal, order_id: UUID, action: str, note: str | None
) -> WorkOrder:
    """accept, depart or arrive."""
    order = await load(session, principal, order_id, lock=True)
    _require_hands_on(order, principal)
    before = order.status
    order.status = states.next_status(before, action)
    event_cls, stamp = STEP_EVENTS[action]
    at = _now()
    setattr(order, stamp, at)
    order.version += 1
    session.add(_step(order, action, before, principal, at, note))
    ticket = await tickets.get_ticket(session, order.ticket_id, lock=True)
    if ticket is not None:
        ticket.status = {"accept": "in_progress", "depart": "in_progress", "arrive": "on_site"}[action]
    if action == "arrive":  # the on-site check-in is what the arrival target measures
        await sla.stop_clocks(session, order.ticket_id, ["arrival"], at=at, number=ticket.number if ticket else None)
    await _announce(session, event_cls, order, principal, at)
    return order


async def _add_parts(
    session: AsyncSession, order: WorkOrder, parts: list[schemas.PartIn], principal: Principal, at: datetime
) -> None:
    for part in parts:
        session.add(
            Part(
                work_order_id=order.id,
                part_number=part.part_number,
                name=part.name,
                quantity=part.quantity,
                unit_cost=part.unit_cost,
                recorded_by=principal.subject,
                at=at,
            )
        )
    await session.flush()
    rows = await session.execute(select(Part.quantity, Part.unit_cost).where(Part.work_order_id == order.id))
    order.total_cost = costs.total_cost((q, Decimal(c)) for q, c in rows.all())


async def add_parts(
    session: AsyncSession, principal: Principal, order_id: UUID, parts: list[schemas.PartIn]
) -> WorkOrder:
    order = await load(session, principal, order_id, lock=True)
    _require_hands_on(order, principal)
    if order.status not in states.ACTIVE:
        raise Conflict(
            f"cannot add parts to a work order that is {order.status}",
            current_status=order.status,
            code="work_order.parts_closed",
        )
    await _add_parts(session, order, parts, principal, _now())
    return order


async def resolve(session: AsyncSession, principal: Principal, order_id: UUID, body: schemas.ResolveIn) -> WorkOrder:
    order = await load(session, principal, order_id, lock=True)
    _require_hands_on(order, principal)
    before = order.status
    if before == "on_site" and body.remote:
        raise RuleViolation(
            "the engineer is on site; this is not a remote resolution",
            field="remote",
            code="work_order.on_site_not_remote",
        )
    if before in ("accepted", "en_route") and not body.remote:
        raise Conflict(
            f"the engineer has not arrived (work order is {before}); resolve on site after arriving, "
            "or set remote=true for a remote resolution",
            current_status=before,
            requested_action="resolve",
            code="work_order.not_arrived",
        )
    order.status = states.next_status(before, "resolve")
    if body.media_replaced and not await session.scalar(
        select(MediaCustody.id).where(MediaCustody.work_order_id == order.id).limit(1)
    ):
        raise RuleViolation(
            "storage media were replaced: record who took the old medium before resolving",
            field="media_replaced",
            code="work_order.media_custody_missing",
        )
    at = _now()
    await _add_parts(session, order, body.parts, principal, at)
    order.cost_borne_by = costs.borne_by(order.total_cost)
    order.resolved_at, order.remote = at, body.remote
    order.resolution_code, order.summary = body.resolution_code, body.summary
    order.version += 1
    session.add(_step(order, "resolve", before, principal, at))
    ticket = await tickets.get_ticket(session, order.ticket_id, lock=True)
    number = ticket.number if ticket else None
    if ticket is not None:
        ticket.status = "resolved"
    await sla.stop_clocks(session, order.ticket_id, ["response", "resolution"], at=at, number=number)
    if body.remote:
        await sla.stop_clocks(
            session, order.ticket_id, ["arrival"], at=at, number=number, cancel_reason="resolved remotely"
        )
    await _announce(
        session,
        events.WorkOrderResolved,
        order,
        principal,
        at,
        remote=body.remote,
        resolution_code=body.resolution_code,
        summary=body.summary,
        total_cost=order.total_cost,
        cost_borne_by=order.cost_borne_by,
        parts=await _parts_used(session, order.id),
    )
    return order


async def _parts_used(session: AsyncSession, order_id: UUID) -> list[events.PartUsed]:
    """Every part of the work order, for assets' reconciliation against what it issued from stock."""
    rows = await session.scalars(select(Part).where(Part.work_order_id == order_id).order_by(Part.at, Part.id))
    return [
        events.PartUsed(part_number=p.part_number, name=p.name, quantity=p.quantity, unit_cost=p.unit_cost)
        for p in rows
    ]


async def decline(session: AsyncSession, principal: Principal, order_id: UUID, reason: str) -> WorkOrder:
    """The assigned engineer turns the job down before starting it: the ticket goes back to the queue and
    the reason is kept in the step and the event, for the dispatcher who assigns it again."""
    order = await load(session, principal, order_id, lock=True)
    if order.engineer_id != principal.subject:
        raise Forbidden(
            "only the assigned engineer declines a job; a dispatcher reassigns or cancels it",
            code="work_order.decline_not_yours",
        )
    before = order.status
    order.status = states.next_status(before, "decline")
    at = _now()
    order.version += 1
    session.add(_step(order, "decline", before, principal, at, reason))
    ticket = await tickets.get_ticket(session, order.ticket_id, lock=True)
    if ticket is not None and ticket.status not in tickets.FINISHED:
        ticket.status = "new"
    await _announce(session, events.WorkOrderCancelled, order, principal, at, reason=reason, declined=True)
    return order


async def cancel(session: AsyncSession, principal: Principal, order_id: UUID, reason: str) -> WorkOrder:
    order = await load(session, principal, order_id, lock=True)
    before = order.status
    order.status = states.next_status(before, "cancel")
    at = _now()
    order.version += 1
    session.add(_step(order, "cancel", before, principal, at, reason))
    ticket = await tickets.get_ticket(session, order.ticket_id, lock=True)
    if ticket is not None and ticket.status not in tickets.FINISHED:
        ticket.status = "new"  # back in the queue, unassigned
    await _announce(session, events.WorkOrderCancelled, order, principal, at, reason=reason)
    return order


async def add_work_log(
    session: AsyncSession, principal: Principal, order_id: UUID, body: schemas.WorkLogIn
) -> WorkLogEntry:
    order = await load(session, principal, order_id, lock=True)
    _require_hands_on(order, principal)
    entry = WorkLogEntry(
        work_order_id=order.id, author_id=principal.subject, note=body.note, minutes=body.minutes, at=_now()
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_media(
    session: AsyncSession, principal: Principal, order_id: UUID, body: schemas.MediaCustodyIn
) -> MediaCustody:
    order = await load(session, principal, order_id, lock=True)
    _require_hands_on(order, principal)
    record = MediaCustody(
        work_order_id=order.id,
        serial=body.serial,
        description=body.description,
        handed_to=body.handed_to,
        handed_by=principal.subject,
        handed_at=body.handed_at or _now(),
    )
    session.add(record)
    await session.flush()
    return record


async def request_removal(
    session: AsyncSession, principal: Principal, order_id: UUID, body: schemas.RemovalIn
) -> EquipmentRemoval:
    order = await load(session, principal, order_id, lock=True)
    _require_hands_on(order, principal)
    record = EquipmentRemoval(
        work_order_id=order.id,
        asset=body.asset,
        reason=body.reason,
        requested_by=principal.subject,
        requested_at=_now(),
    )
    session.add(record)
    await session.flush()
    return record


async def decide_removal(
    session: AsyncSession, principal: Principal, order_id: UUID, removal_id: UUID, body: schemas.RemovalDecisionIn
) -> EquipmentRemoval:
    order = await load(session, principal, order_id)
    record = await session.get(EquipmentRemoval, removal_id, with_for_update=True)
    if record is None or record.work_order_id != order.id:
        raise NotFound(f"no removal request {removal_id} on this work order", code="removal.not_found")
    if record.status != "requested":
        raise Conflict(
            f"this request was already {record.status}", current_status=record.status, code="removal.already_decided"
        )
    if record.requested_by == principal.subject:
        raise Forbidden("nobody approves their own request", code="removal.own_request")
    record.status = "approved" if body.approve else "rejected"
    record.decided_by, record.decided_at, record.decision_note = principal.subject, _now(), body.note
    return record


async def due_times(session: AsyncSession, ticket_id: UUID) -> dict[str, datetime]:
    """The arrival and resolution deadlines still ahead of the engineer (a met or cancelled one is not)."""
    rows = await session.execute(
        select(SlaClock.metric, SlaClock.due_at).where(
            SlaClock.ticket_id == ticket_id,
            SlaClock.metric.in_(("arrival", "resolution")),
            SlaClock.state.in_(("running", "paused", "breached")),
        )
    )
    return dict(rows.tuples().all())


async def detail(session: AsyncSession, order: WorkOrder) -> dict[str, list[Any]]:
    async def rows(model: Any, order_by: Any) -> list[Any]:
        result = await session.execute(select(model).where(model.work_order_id == order.id).order_by(order_by))
        return list(result.scalars())

    return {
        "steps": await rows(WorkOrderStep, WorkOrderStep.at),
        "work_log": await rows(WorkLogEntry, WorkLogEntry.at),
        "parts": await rows(Part, Part.at),
        "media": await rows(MediaCustody, MediaCustody.handed_at),
        "removals": await rows(EquipmentRemoval, EquipmentRemoval.requested_at),
    }


async def list_orders(
    session: AsyncSession,
    principal: Principal,
    *,
    ticket_id: UUID | None,
    engineer_id: UUID | None,
    status: str | None,
    limit: int,
) -> list[WorkOrder]:
    stmt = select(WorkOrder).order_by(WorkOrder.assigned_at.desc()).limit(limit)
    if not principal.has_any(*READERS):
        stmt = stmt.where(WorkOrder.engineer_id == principal.subject)  # an engineer sees their own
    if ticket_id:
        stmt = stmt.where(WorkOrder.ticket_id == ticket_id)
    if engineer_id:
        stmt = stmt.where(WorkOrder.engineer_id == engineer_id)
    if status:
        stmt = stmt.where(WorkOrder.status == status)
    return list((await session.execute(stmt)).scalars())
