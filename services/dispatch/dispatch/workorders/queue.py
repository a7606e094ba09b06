"""The dispatcher's queue (open tickets, most urgent clock first) and engineer suggestions for a ticket."""

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory import service as directory
from dispatch.directory.models import StaffMember
from dispatch.duty.service import on_duty_user_ids
from dispatch.sla import service as sla
from dispatch.sla.models import SlaClock
from dispatch.workorders import tickets
from dispatch.workorders.models import DispatchTicket, WorkOrder
from dispatch.workorders.states import ACTIVE
from opsdesk_shared.auth import Role
from opsdesk_shared.errors import NotFound

# Which engineer skills fit which kind of work; a ticket's subcategory names the skill most directly.
SKILLS_FOR = {
    "hardware": {"hardware"},
    "software": {"software"},
    "network": {"network"},
    "data": {"database", "software"},
    "account": {"software", "security"},
    "security": {"security"},
    "database": {"database"},
}


async def open_work_order_counts(session: AsyncSession) -> dict[UUID, int]:
    """Each engineer's current load: their work orders not yet resolved or cancelled."""
    rows = await session.execute(
        select(WorkOrder.engineer_id, func.count()).where(WorkOrder.status.in_(ACTIVE)).group_by(WorkOrder.engineer_id)
    )
    return {engineer: count for engineer, count in rows.all()}


@dataclass
class QueueItem:
    ticket: DispatchTicket
    work_order: WorkOrder | None
    clock: SlaClock | None
    remaining_seconds: int | None
    at_risk: bool


async def dispatch_queue(session: AsyncSession, *, include_assigned_on_time: bool, limit: int) -> list[QueueItem]:
    """Unassigned tickets, and assigned ones whose clock has warned or breached, least time left first.

    Ordering by the most urgent live clock's due instant is ordering by time remaining, in any calendar.
    """
    now = datetime.now(UTC)
    urgent = (
        select(SlaClock.ticket_id, func.min(SlaClock.due_at).label("due_at"))
        .where(SlaClock.stopped_at.is_(None))
        .group_by(SlaClock.ticket_id)
        .subquery()
    )
    # At risk: a live clock past its warning instant (whether or not the timer has announced it yet).
    at_risk = select(SlaClock.ticket_id).where(SlaClock.stopped_at.is_(None), SlaClock.warn_at <= now).scalar_subquery()
    stmt = (
        select(DispatchTicket, WorkOrder, urgent.c.due_at)
        .outerjoin(urgent, urgent.c.ticket_id == DispatchTicket.id)
        .outerjoin(WorkOrder, (WorkOrder.ticket_id == DispatchTicket.id) & WorkOrder.status.in_(ACTIVE))
        .where(DispatchTicket.status.not_in(tickets.FINISHED))
        .order_by(urgent.c.due_at.asc().nulls_last(), DispatchTicket.created_at)
        .limit(limit)
    )
    if not include_assigned_on_time:
        stmt = stmt.where(WorkOrder.id.is_(None) | DispatchTicket.id.in_(at_risk))
    page = (await session.execute(stmt)).all()
    live: dict[UUID, list[SlaClock]] = {}
    rows = await session.execute(
        select(SlaClock).where(
            SlaClock.ticket_id.in_([ticket.id for ticket, _, _ in page]),
            SlaClock.stopped_at.is_(None),
        )
    )
    for running in rows.scalars():
        live.setdefault(running.ticket_id, []).append(running)
    items = []
    for ticket, order, _due in page:
        clocks = live.get(ticket.id, [])
        clock = min(clocks, key=lambda c: c.due_at) if clocks else None
        remaining = (await sla.clock_figures(session, clock, now))["remaining_seconds"] if clock else None
        items.append(QueueItem(ticket, order, clock, remaining, any(c.warn_at <= now for c in clocks)))
    return items


@dataclass
class Suggestion:
    engineer: StaffMember
    skill_match: bool
    on_duty: bool
    load: int
    same_district: bool
    score: float
    is_current: bool = False  # holds the ticket's open work order now: a reassignment wants someone else


async def suggestions(session: AsyncSession, ticket_id: UUID, limit: int = 10) -> list[Suggestion]:
    """Engineers ranked by skill match, then on duty, then fewest open work orders, then same district;
    the engineer who has the ticket now comes last (a reassignment looks for somebody else)."""
    ticket = await tickets.get_ticket(session, ticket_id)
    if ticket is None:
        raise NotFound(f"dispatch has no ticket {ticket_id}", code="ticket.not_found")
    wanted = SKILLS_FOR.get(ticket.subcategory or "", set()) or ({"hardware"} if ticket.category == "fault" else set())
    ticket_path = set(await directory.unit_path(session, ticket.unit_id))
    engineers = (
        await session.execute(
            select(StaffMember).where(
                StaffMember.is_active.is_(True),
                StaffMember.roles.contains([Role.ENGINEER.value]),
            )
        )
    ).scalars()
    loads = await open_work_order_counts(session)
    on_duty = await on_duty_user_ids(session, datetime.now(UTC))
    current = set(
        (
            await session.execute(
                select(WorkOrder.engineer_id).where(
                    WorkOrder.ticket_id == ticket_id,
                    WorkOrder.status.in_(ACTIVE),
                )
            )
        ).scalars()
    )
    ranked = []
    for engineer in engineers:
        skill = bool(wanted & set(engineer.skills)) if wanted else True
        duty = engineer.user_id in on_duty
        load = int(loads.get(engineer.user_id, 0))
        near = engineer.home_district_id is not None and engineer.home_district_id in ticket_path
        # Lexicographic weights: skill beats duty beats load beats distance; shown so dispatchers see why.
        score = skill * 1000 + duty * 100 - min(load, 9) * 10 + near * 1
        ranked.append(Suggestion(engineer, skill, duty, load, near, score, engineer.user_id in current))
    ranked.sort(key=lambda s: (-s.score, s.engineer.username))
    others = [s for s in ranked if not s.is_current]
    return others[:limit] + [s for s in ranked if s.is_current]
