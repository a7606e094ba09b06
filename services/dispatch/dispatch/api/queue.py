"""/api/dispatch/queue and /api/dispatch/suggestions: what to send whom to next."""

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from dispatch.api.dependencies import Manager, Overseer
from dispatch.workorders import queue
from opsdesk_shared.dependencies import Uow

router = APIRouter(prefix="/api/dispatch", tags=["dispatch queue"])


class QueueClock(BaseModel):
    metric: str
    state: str
    due_at: datetime
    warn_at: datetime  # the board's countdown turns amber here and red at `due_at`
    remaining_seconds: int | None


class QueueEntry(BaseModel):
    ticket_id: UUID
    number: str
    title: str
    category: str
    priority: str
    unit_id: UUID
    status: str
    created_at: datetime
    work_order_id: UUID | None
    engineer_id: UUID | None
    at_risk: bool
    most_urgent_clock: QueueClock | None


class SuggestionOut(BaseModel):
    engineer_id: UUID
    display_name: str
    skills: list[str]
    skill_match: bool
    on_duty: bool
    open_work_orders: int
    same_district: bool
    score: float
    is_current: bool  # has the ticket now (listed last)


@router.get("/queue", response_model=list[QueueEntry])
async def dispatch_queue(
    principal: Overseer,
    uow: Uow,
    include_assigned: Annotated[bool, Query(description="also list assigned tickets that are on time")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[QueueEntry]:
    items = await queue.dispatch_queue(uow, include_assigned_on_time=include_assigned, limit=limit)
    return [
        QueueEntry(
            ticket_id=i.ticket.id,
            number=i.ticket.number,
            title=i.ticket.title,
            category=i.ticket.category,
            priority=i.ticket.priority,
            unit_id=i.ticket.unit_id,
            status=i.ticket.status,
            created_at=i.ticket.created_at,
            work_order_id=i.work_order.id if i.work_order else None,
            engineer_id=i.work_order.engineer_id if i.work_order else None,
            at_risk=i.at_risk,
            most_urgent_clock=QueueClock(
                metric=i.clock.metric,
                state=i.clock.state,
                due_at=i.clock.due_at,
                warn_at=i.clock.warn_at,
                remaining_seconds=i.remaining_seconds,
            )
            if i.clock
            else None,
        )
        for i in items
    ]


@router.get("/suggestions", response_model=list[SuggestionOut])
async def suggestions(ticket_id: UUID, principal: Manager, uow: Uow) -> list[SuggestionOut]:
    return [
        SuggestionOut(
            engineer_id=s.engineer.user_id,
            display_name=s.engineer.display_name,
            skills=s.engineer.skills,
            skill_match=s.skill_match,
            on_duty=s.on_duty,
            open_work_orders=s.load,
            same_district=s.same_district,
            score=s.score,
            is_current=s.is_current,
        )
        for s in await queue.suggestions(uow, ticket_id)
    ]
