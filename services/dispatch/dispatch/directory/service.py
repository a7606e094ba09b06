"""Keeping dispatch's copy of people and units current from the gateway's events."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory.models import StaffMember, Unit
from opsdesk_shared.contracts.gateway import UnitChanged, UserChanged


async def apply_user(session: AsyncSession, user: UserChanged) -> None:
    # Only the gateway's fields; skills, district and the project-manager flag are dispatch's own.
    values = {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "roles": list(user.roles),
        "unit_id": user.unit_id,
        "is_active": user.is_active,
        "updated_at": datetime.now(UTC),
    }
    await session.execute(
        insert(StaffMember)
        .values(user_id=user.user_id, **values)
        .on_conflict_do_update(index_elements=["user_id"], set_=values)
    )


async def apply_unit(session: AsyncSession, unit: UnitChanged) -> None:
    values = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "path": list(unit.path),
    }
    await session.execute(
        insert(Unit).values(id=unit.unit_id, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def unit_path(session: AsyncSession, unit_id: UUID) -> list[UUID]:
    path = await session.scalar(select(Unit.path).where(Unit.id == unit_id))
    return list(path) if path else [unit_id]


async def staff_member(session: AsyncSession, user_id: UUID) -> StaffMember | None:
    return await session.get(StaffMember, user_id)
