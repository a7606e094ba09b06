"""/api/engineers: who can be sent, with their skills, district, duty and load; and dispatch's copy of a member
of staff."""

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.api.dependencies import Manager, Staff
from dispatch.directory.models import StaffMember
from dispatch.directory.schemas import EngineerOut, EngineerPatch, StaffOut
from dispatch.duty.service import on_duty_user_ids
from dispatch.workorders.queue import open_work_order_counts
from opsdesk_shared.auth import Role
from opsdesk_shared.dependencies import Uow
from opsdesk_shared.errors import NotFound

router = APIRouter(tags=["engineers"])


async def _engineers_out(session: AsyncSession, members: list[StaffMember]) -> list[EngineerOut]:
    on_duty = await on_duty_user_ids(session, datetime.now(UTC))
    loads = await open_work_order_counts(session)
    return [
        EngineerOut(**m.values(), on_duty=m.user_id in on_duty, open_work_orders=loads.get(m.user_id, 0))
        for m in members
    ]


async def _engineer(session: AsyncSession, user_id: UUID, *, lock: bool = False) -> StaffMember:
    member = await session.get(StaffMember, user_id, with_for_update=lock)
    if member is None or Role.ENGINEER.value not in member.roles:
        raise NotFound(f"no engineer {user_id}", code="engineer.not_found")
    return member


@router.get("/api/engineers", response_model=list[EngineerOut])
async def list_engineers(principal: Staff, uow: Uow, skill: str | None = None) -> list[EngineerOut]:
    stmt = (
        select(StaffMember)
        .where(StaffMember.roles.contains([Role.ENGINEER.value]), StaffMember.is_active.is_(True))
        .order_by(StaffMember.username)
    )
    if skill:
        stmt = stmt.where(StaffMember.skills.contains([skill.lower()]))
    return await _engineers_out(uow, list((await uow.execute(stmt)).scalars()))


@router.get("/api/engineers/{user_id}", response_model=EngineerOut)
async def get_engineer(user_id: UUID, principal: Staff, uow: Uow) -> EngineerOut:
    [out] = await _engineers_out(uow, [await _engineer(uow, user_id)])
    return out


@router.patch("/api/engineers/{user_id}", response_model=EngineerOut)
async def update_engineer(user_id: UUID, body: EngineerPatch, principal: Manager, uow: Uow) -> EngineerOut:
    member = await _engineer(uow, user_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    if "skills" in changes:
        member.skills = sorted(set(changes["skills"] or []))
    if "home_district_id" in changes:
        member.home_district_id = changes["home_district_id"]
    member.updated_at = datetime.now(UTC)
    [out] = await _engineers_out(uow, [member])
    return out


@router.get("/api/dispatch/staff/{user_id}", response_model=StaffOut)
async def get_staff(user_id: UUID, principal: Manager, uow: Uow) -> StaffOut:
    member = await uow.get(StaffMember, user_id)
    if member is None:
        raise NotFound(f"dispatch knows no user {user_id}", code="engineer.not_found")
    return StaffOut.model_validate(member, from_attributes=True)
