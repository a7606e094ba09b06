"""What the vendor's people did: repair costs per resolved work order, the duty roster and attendance."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.dispatch import (
    AttendanceClockedIn,
    AttendanceClockedOut,
    AttendanceEvent,
    ShiftScheduled,
    WorkOrderResolved,
)
from opsdesk_shared.contracts.envelope import Envelope

_COST = text(
    "INSERT INTO cost_fact (work_order_id, ticket_id, ticket_number, engineer_name, resolved_at, remote, summary,"
    " total_cost, cost_borne_by) VALUES (:wo, :ticket, :number, :engineer, :at, :remote, :summary, :cost, :payer) "
    "ON CONFLICT (work_order_id) DO UPDATE SET resolved_at = EXCLUDED.resolved_at, remote = EXCLUDED.remote,"
    " summary = EXCLUDED.summary, total_cost = EXCLUDED.total_cost, cost_borne_by = EXCLUDED.cost_borne_by "
    "WHERE cost_fact.resolved_at < EXCLUDED.resolved_at"
)
_ATTENDANCE = text(
    "INSERT INTO attendance_fact AS a (attendance_id, user_id, display_name, shift_id, clock_in_at, clock_out_at) "
    "VALUES (:id, :user, :name, :shift, :clock_in, :clock_out) "
    "ON CONFLICT (attendance_id) DO UPDATE SET clock_out_at = coalesce(EXCLUDED.clock_out_at, a.clock_out_at)"
)


async def work_order_resolved(session: AsyncSession, envelope: Envelope) -> UUID | None:
    r = envelope.parse(WorkOrderResolved)
    await session.execute(
        _COST,
        {
            "wo": r.work_order_id,
            "ticket": r.ticket_id,
            "number": r.ticket_number,
            "engineer": r.engineer_name,
            "at": r.at,
            "remote": r.remote,
            "summary": r.summary,
            "cost": r.total_cost,
            "payer": r.cost_borne_by,
        },
    )
    return None  # costs are read per work order, not from the ticket rollups


async def attendance(session: AsyncSession, envelope: Envelope) -> UUID | None:
    a = envelope.parse(AttendanceEvent)
    await session.execute(
        _ATTENDANCE,
        {
            "id": a.attendance_id,
            "user": a.user_id,
            "name": a.display_name,
            "shift": a.shift_id,
            "clock_in": a.clock_in_at,
            "clock_out": a.clock_out_at,
        },
    )
    return None


_SHIFT = text(
    "INSERT INTO shift_fact (shift_id, post_name, user_id, display_name, starts_at, ends_at) "
    "VALUES (:id, :post, :user, :name, :starts, :ends) ON CONFLICT (shift_id) DO NOTHING"
)


async def shift_scheduled(session: AsyncSession, envelope: Envelope) -> UUID | None:
    s = envelope.parse(ShiftScheduled)
    await session.execute(
        _SHIFT,
        {
            "id": s.shift_id,
            "post": s.post_name,
            "user": s.user_id,
            "name": s.display_name,
            "starts": s.starts_at,
            "ends": s.ends_at,
        },
    )
    return None


HANDLERS = {
    WorkOrderResolved.type: work_order_resolved,
    AttendanceClockedIn.type: attendance,
    AttendanceClockedOut.type: attendance,
    ShiftScheduled.type: shift_scheduled,
}
