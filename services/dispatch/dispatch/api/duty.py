"""/api/dispatch/duty: resident posts, shifts, clock-in/out and attendance."""

from datetime import UTC, datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from dispatch.api.dependencies import Admin, Manager, Overseer, Staff
from dispatch.duty import service
from dispatch.duty.models import DutyPost, Shift
from dispatch.duty.schemas import AttendanceOut, DutyPersonOut, MyDutyOut, PostIn, PostOut, RosterIn, ShiftIn, ShiftOut
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import RuleViolation

router = APIRouter(prefix="/api/dispatch/duty", tags=["duty"])


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    start = start or now - timedelta(days=7)
    end = end or now + timedelta(days=7)
    if start.tzinfo is None or end.tzinfo is None:
        raise RuleViolation("times need a UTC offset", field="from", code="validation.timezone_required")
    if end <= start or end - start > timedelta(days=400):
        raise RuleViolation(
            "'to' must be after 'from', at most 400 days apart", field="to", code="query.period_too_long"
        )
    return start, end


@router.get("/posts", response_model=list[PostOut])
async def list_posts(principal: Staff, uow: Uow) -> list[PostOut]:
    return [PostOut.model_validate(p, from_attributes=True) for p in await service.posts(uow)]


@router.post("/posts", response_model=PostOut, status_code=status.HTTP_201_CREATED)
async def create_post(body: PostIn, principal: Admin, uow: Uow) -> PostOut:
    post = await service.create_post(uow, DutyPost(**body.model_dump()))
    return PostOut.model_validate(post, from_attributes=True)


@router.get("/people", response_model=list[DutyPersonOut])
async def rosterable_people(principal: Manager, uow: Uow) -> list[DutyPersonOut]:
    """Active engineers, hotline operators and dispatchers, with their duty roles: the roster's choices."""
    return [
        DutyPersonOut(
            user_id=m.user_id, display_name=m.display_name, roles=[r for r in m.roles if r in service.DUTY_ROLES]
        )
        for m in await service.rosterable_people(uow)
    ]


@router.get("/shifts", response_model=list[ShiftOut])
async def list_shifts(
    principal: Staff,
    uow: Uow,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> list[ShiftOut]:
    start, end = _window(from_, to)
    return [ShiftOut.model_validate(s, from_attributes=True) for s in await service.shifts(uow, start, end)]


@router.post("/shifts", response_model=ShiftOut, status_code=status.HTTP_201_CREATED)
async def create_shift(body: ShiftIn, principal: Manager, uow: Uow) -> ShiftOut:
    shift = await service.create_shift(uow, Shift(**body.model_dump()))
    return ShiftOut.model_validate(shift, from_attributes=True)


@router.post("/posts/{post_id}/roster", response_model=list[ShiftOut], status_code=status.HTTP_201_CREATED)
async def generate_roster(post_id: UUID, body: RosterIn, principal: Manager, uow: Uow) -> list[ShiftOut]:
    """Shifts for the post from `from` to `to` (dates, Asia/Shanghai), the people taking turns day by day."""
    shifts = await service.generate_roster(uow, post_id, body.user_ids, body.from_, body.to)
    return [ShiftOut.model_validate(s, from_attributes=True) for s in shifts]


@router.get("/me", response_model=MyDutyOut)
async def my_duty(principal: Staff, uow: Uow) -> MyDutyOut:
    """The caller's own duty card (everybody's attendance is for overseers)."""
    return MyDutyOut.model_validate(await service.my_duty(uow, principal.subject, datetime.now(UTC)))


@router.post("/clock-in", response_model=AttendanceOut, status_code=status.HTTP_201_CREATED)
async def clock_in(principal: Staff, uow: Uow) -> AttendanceOut:
    record = await service.clock_in(uow, principal.subject, datetime.now(UTC))
    return AttendanceOut.model_validate(record, from_attributes=True)


@router.post("/clock-out", response_model=AttendanceOut)
async def clock_out(principal: Staff, uow: Uow) -> AttendanceOut:
    record = await service.clock_out(uow, principal.subject, datetime.now(UTC))
    return AttendanceOut.model_validate(record, from_attributes=True)


@router.get("/attendance", response_model=list[AttendanceOut])
async def attendance(
    principal: Overseer,
    uow: Uow,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> list[AttendanceOut]:
    start, end = _window(from_, to)
    return [AttendanceOut.model_validate(a, from_attributes=True) for a in await service.attendance(uow, start, end)]
