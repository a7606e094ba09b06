"""Who is on duty: a shift covering the instant, or an open clock-in. Attendance feeds the weekly report."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory.models import StaffMember
from dispatch.duty.models import Attendance, DutyPost, Shift
from dispatch.sla.calendars import SHANGHAI, statutory_workday
from opsdesk_shared.contracts.dispatch import (
    AttendanceClockedIn,
    AttendanceClockedOut,
    AttendanceEvent,
    ShiftScheduled,
)
from opsdesk_shared.errors import Conflict, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event


async def on_duty_user_ids(session: AsyncSession, at: datetime) -> set[UUID]:
    shifts = select(Shift.user_id).where(Shift.starts_at <= at, Shift.ends_at > at)
    clocked_in = select(Attendance.user_id).where(
        Attendance.clock_in_at <= at,
        or_(Attendance.clock_out_at.is_(None), Attendance.clock_out_at > at),
    )
    rows = await session.execute(shifts.union(clocked_in))
    return {row[0] for row in rows}


async def create_post(session: AsyncSession, post: DutyPost) -> DutyPost:
    if post.pattern == "7x24" and post.starts != post.ends:
        raise RuleViolation(
            "a 7x24 post runs around the clock: starts and ends must be the same time",
            field="ends",
            code="duty.post_24h_times",
        )
    if await session.scalar(select(DutyPost.id).where(DutyPost.code == post.code)) is not None:
        raise Conflict(f"duty post code {post.code!r} already exists", field="code", code="duty.post_code_taken")
    session.add(post)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"duty post code {post.code!r} already exists", field="code", code="duty.post_code_taken"
        ) from exc
    return post


async def _staff(session: AsyncSession, user_id: UUID) -> StaffMember:
    member = await session.get(StaffMember, user_id)
    if member is None or not member.is_active:
        raise RuleViolation(
            f"user {user_id} is not active staff known to dispatch", field="user_id", code="duty.user_not_staff"
        )
    return member


async def create_shift(session: AsyncSession, shift: Shift) -> Shift:
    post = await session.get(DutyPost, shift.post_id)
    if post is None:
        raise RuleViolation(f"no duty post {shift.post_id}", field="post_id", code="duty.post_unknown")
    member = await _staff(session, shift.user_id)
    if shift.ends_at <= shift.starts_at:
        raise RuleViolation("a shift must end after it starts", field="ends_at", code="duty.shift_ends_before_start")
    overlapping = await session.scalar(
        select(Shift.id).where(
            Shift.user_id == shift.user_id,
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
        )
    )
    if overlapping is not None:
        raise Conflict(
            "this person already has a shift overlapping that time", field="starts_at", code="duty.shift_overlap"
        )
    session.add(shift)
    await session.flush()
    await add_event(
        session,
        ShiftScheduled(
            shift_id=shift.id,
            post_id=post.id,
            post_name=post.name,
            user_id=shift.user_id,
            display_name=member.display_name,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
        ),
        producer="dispatch",
    )
    return shift


def roster_days(post: DutyPost, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The shifts a post needs between two dates: a 5×8 post on statutory working days only (with the
    调休 make-up days), 7×8 and 7×24 posts every day; a shift ending at or before its start ends next day."""
    shifts = []
    day = first
    while day <= last:
        if post.pattern != "5x8" or statutory_workday(day):
            starts = datetime.combine(day, post.starts, SHANGHAI)
            ends = datetime.combine(day, post.ends, SHANGHAI)
            if ends <= starts:
                ends += timedelta(days=1)
            shifts.append((starts.astimezone(UTC), ends.astimezone(UTC)))
        day += timedelta(days=1)
    return shifts


async def generate_roster(
    session: AsyncSession, post_id: UUID, user_ids: list[UUID], first: date, last: date
) -> list[Shift]:
    """Staffs the post day by day, taking the people in turn. All or nothing: an overlap refuses the lot."""
    post = await get_post(session, post_id)
    if last < first or (last - first).days > 92:
        raise RuleViolation(
            "'to' must be on or after 'from', at most 93 days", field="to", code="query.period_too_long"
        )
    created = []
    for i, (starts, ends) in enumerate(roster_days(post, first, last)):
        created.append(
            await create_shift(
                session, Shift(post_id=post.id, user_id=user_ids[i % len(user_ids)], starts_at=starts, ends_at=ends)
            )
        )
    return created


async def clock_in(session: AsyncSession, user_id: UUID, at: datetime) -> Attendance:
    member = await _staff(session, user_id)
    shift_id = await session.scalar(
        select(Shift.id).where(Shift.user_id == user_id, Shift.ends_at > at).order_by(Shift.starts_at).limit(1)
    )
    open_record = await session.scalar(
        select(Attendance.id).where(Attendance.user_id == user_id, Attendance.clock_out_at.is_(None))
    )
    if open_record is not None:
        raise Conflict(
            "already clocked in; clock out first", attendance_id=str(open_record), code="duty.already_clocked_in"
        )
    record = Attendance(user_id=user_id, shift_id=shift_id, clock_in_at=at)
    session.add(record)
    await session.flush()  # the partial unique index still refuses a concurrent second clock-in
    await _announce(session, AttendanceClockedIn, record, member)
    return record


async def clock_out(session: AsyncSession, user_id: UUID, at: datetime) -> Attendance:
    record = await session.scalar(
        select(Attendance).where(Attendance.user_id == user_id, Attendance.clock_out_at.is_(None))
    )
    if record is None:
        raise Conflict("not clocked in", code="duty.not_clocked_in")
    record.clock_out_at = at
    member = await session.get(StaffMember, user_id)
    await _announce(session, AttendanceClockedOut, record, member)
    return record


async def _announce(
    session: AsyncSession, event_cls: type[AttendanceEvent], record: Attendance, member: StaffMember | None
) -> None:
    await add_event(
        session,
        event_cls(
            attendance_id=record.id,
            user_id=record.user_id,
            display_name=member.display_name if member else "",
            shift_id=record.shift_id,
            clock_in_at=record.clock_in_at,
            clock_out_at=record.clock_out_at,
        ),
        producer="dispatch",
    )


async def my_duty(session: AsyncSession, user_id: UUID, at: datetime) -> dict[str, Any]:
    """What a staff member's duty card shows: their open clock-in and their shift now or next."""
    clocked_in_at = await session.scalar(
        select(Attendance.clock_in_at).where(Attendance.user_id == user_id, Attendance.clock_out_at.is_(None))
    )
    row = (
        await session.execute(
            select(Shift, DutyPost.name)
            .join(DutyPost, DutyPost.id == Shift.post_id)
            .where(Shift.user_id == user_id, Shift.ends_at > at, Shift.starts_at < at + timedelta(days=7))
            .order_by(Shift.starts_at)
            .limit(1)
        )
    ).first()
    shift = {"post_name": row[1], "starts_at": row[0].starts_at, "ends_at": row[0].ends_at} if row else None
    on_shift = row is not None and row[0].starts_at <= at
    return {"on_duty": clocked_in_at is not None or on_shift, "clocked_in_at": clocked_in_at, "shift": shift}


async def attendance(session: AsyncSession, start: datetime, end: datetime) -> list[Attendance]:
    rows = await session.execute(
        select(Attendance)
        .where(Attendance.clock_in_at < end, or_(Attendance.clock_out_at.is_(None), Attendance.clock_out_at >= start))
        .order_by(Attendance.clock_in_at)
    )
    return list(rows.scalars())


async def shifts(session: AsyncSession, start: datetime, end: datetime) -> list[Shift]:
    rows = await session.execute(
        select(Shift).where(Shift.starts_at < end, Shift.ends_at > start).order_by(Shift.starts_at)
    )
    return list(rows.scalars())


# Who takes duty shifts: the engineers on call, the hotline's operators (the 7×24 post) and the dispatchers.
DUTY_ROLES = ("engineer", "hotline_operator", "dispatcher")


async def rosterable_people(session: AsyncSession) -> list[StaffMember]:
    """Active staff holding a duty role, by name: whom a roster may be made of."""
    rows = await session.execute(
        select(StaffMember)
        .where(StaffMember.is_active.is_(True), StaffMember.roles.overlap(list(DUTY_ROLES)))
        .order_by(StaffMember.display_name)
    )
    return list(rows.scalars())


async def posts(session: AsyncSession) -> list[DutyPost]:
    return list((await session.execute(select(DutyPost).order_by(DutyPost.code))).scalars())


async def get_post(session: AsyncSession, post_id: UUID) -> DutyPost:
    post = await session.get(DutyPost, post_id)
    if post is None:
        raise NotFound(f"no duty post {post_id}", code="duty.post_unknown")
    return post
