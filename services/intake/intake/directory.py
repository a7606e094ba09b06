"""The gateway's units and users as intake keeps them (from `unit.*` / `user.*` events): the unit tree
for requester scoping, and who a phone number belongs to for the hotline."""

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.models import KnownUser, Ticket, Unit
from opsdesk_shared.contracts.gateway import UnitChanged, UserChanged


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
    # Tickets filed before this event arrived (or before a move in the tree) get the unit's real path.
    await session.execute(
        update(Ticket)
        .where(Ticket.unit_id == unit.unit_id, Ticket.unit_path != list(unit.path))  # type: ignore[arg-type]
        .values(unit_path=list(unit.path))
    )


async def apply_user(session: AsyncSession, user: UserChanged) -> None:
    values = {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "unit_id": user.unit_id,
        "roles": list(user.roles),
        "is_active": user.is_active,
    }
    await session.execute(
        insert(KnownUser)
        .values(user_id=user.user_id, **values)
        .on_conflict_do_update(index_elements=["user_id"], set_=values)
    )


async def unit_path(session: AsyncSession, unit_id: UUID) -> list[UUID] | None:
    path = await session.scalar(select(Unit.path).where(Unit.id == unit_id))
    return list(path) if path is not None else None


async def users_with_phone(session: AsyncSession, phone: str) -> list[KnownUser]:
    rows = await session.execute(
        select(KnownUser).where(KnownUser.phone == phone, KnownUser.is_active.is_(True))  # type: ignore[attr-defined]
    )
    return list(rows.scalars())
