"""The escalations a dispatcher still has to see: warnings and breaches the timer fired, open until a
dispatcher acknowledges them (who and when are kept) or they stop mattering — a warning once its clock is
met, breached (the breach replaces it) or cancelled; a breach once its ticket is cancelled. A breach stays
open after the ticket is resolved: somebody must still have seen it."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory.models import StaffMember
from dispatch.sla import clocks
from dispatch.sla.models import SlaClock, SlaEscalation
from dispatch.workorders.models import DispatchTicket
from opsdesk_shared.auth import Principal
from opsdesk_shared.errors import NotFound

_STILL_RELEVANT = or_(
    and_(SlaEscalation.kind == "breach", SlaClock.state != clocks.CANCELLED),
    and_(SlaEscalation.kind == "warning", SlaClock.state.in_([clocks.RUNNING, clocks.PAUSED])),
)


def _columns() -> Select[SlaEscalation, str, datetime, str, str, str, str]:
    return (
        select(
            SlaEscalation,
            SlaClock.metric,
            SlaClock.due_at,
            SlaClock.state,
            DispatchTicket.number,
            DispatchTicket.title,
            DispatchTicket.priority,
        )
        .join(SlaClock, SlaClock.id == SlaEscalation.clock_id)
        .outerjoin(DispatchTicket, DispatchTicket.id == SlaEscalation.ticket_id)
    )


def _row(row: Row[SlaEscalation, str, datetime, str, str, str, str]) -> dict[str, Any]:
    escalation, metric, due_at, state, number, title, priority = row
    return escalation.values() | dict(
        metric=metric, due_at=due_at, clock_state=state, ticket_number=number, ticket_title=title, priority=priority
    )


async def list_open(session: AsyncSession, *, limit: int) -> list[dict[str, Any]]:
    """Breaches first (they matter more), each kind newest first."""
    rows = await session.execute(
        _columns()
        .where(SlaEscalation.acknowledged_at.is_(None), _STILL_RELEVANT)
        .order_by((SlaEscalation.kind == "breach").desc(), SlaEscalation.fired_at.desc())
        .limit(limit)
    )
    return [_row(r) for r in rows.all()]


async def acknowledge(session: AsyncSession, escalation_id: UUID, principal: Principal) -> dict[str, Any]:
    """Idempotent: acknowledging again keeps the first dispatcher and instant (the record of who saw it first)."""
    escalation = await session.get(SlaEscalation, escalation_id, with_for_update=True)
    if escalation is None:
        raise NotFound(f"no escalation {escalation_id}", code="escalation.not_found")
    if escalation.acknowledged_at is None:
        name = await session.scalar(select(StaffMember.display_name).where(StaffMember.user_id == principal.subject))
        escalation.acknowledged_at = await session.scalar(select(func.now()))
        escalation.acknowledged_by = principal.subject
        escalation.acknowledged_by_name = name or principal.username
        await session.flush()
    row = (await session.execute(_columns().where(SlaEscalation.id == escalation_id))).one()
    return _row(row)
