"""Keeping the unit tree current from the gateway's events (newest version wins), and reading it."""

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from assets.directory.models import Unit, User
from assets.ledger.models import Asset
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitChanged, UserChanged
from opsdesk_shared.messaging.ordering import upsert_in_order


async def apply_unit(session: AsyncSession, envelope: Envelope) -> None:
    unit: UnitChanged = envelope.parse(UnitChanged)
    values = {"code": unit.code, "name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "path": unit.path}
    applied = await upsert_in_order(
        session,
        envelope,
        Unit,
        aggregate="unit",
        key="id",
        key_value=unit.unit_id,
        values=values,
        event_version=unit.aggregate_version,
    )
    if applied:  # a unit moved in the tree: its assets follow, so requesters' scoping stays right
        await session.execute(
            update(Asset)
            .where(Asset.unit_id == unit.unit_id, Asset.unit_path != list(unit.path))
            .values(unit_path=list(unit.path))
        )


async def apply_user(session: AsyncSession, envelope: Envelope) -> None:
    user: UserChanged = envelope.parse(UserChanged)
    values = {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "roles": user.roles,
        "unit_id": user.unit_id,
        "is_active": user.is_active,
    }
    await upsert_in_order(
        session,
        envelope,
        User,
        aggregate="user",
        key="id",
        key_value=user.user_id,
        values=values,
        event_version=user.aggregate_version,
    )


async def active_with_role(session: AsyncSession, role: str) -> list[User]:
    rows = await session.scalars(
        select(User).where(User.is_active.is_(True), User.roles.contains([role])).order_by(User.display_name)
    )
    return list(rows)


async def get(session: AsyncSession, unit_id: UUID) -> Unit | None:
    return await session.get(Unit, unit_id)


async def by_codes(session: AsyncSession, codes: set[str]) -> dict[str, Unit]:
    rows = await session.execute(select(Unit).where(Unit.code.in_(codes)))
    return {u.code: u for u in rows.scalars()}


async def by_ids(session: AsyncSession, ids: set[UUID]) -> dict[UUID, Unit]:
    if not ids:
        return {}
    rows = await session.execute(select(Unit).where(Unit.id.in_(ids)))
    return {u.id: u for u in rows.scalars()}


async def name_of(session: AsyncSession, principal: Principal) -> str:
    """The caller's display name; their login name until the gateway's event has arrived."""
    user = await session.get(User, principal.subject)
    return user.display_name if user else principal.username
