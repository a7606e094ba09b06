"""Keeping dispatch's copy of people and units current from the gateway's events, newest version wins."""

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.directory.models import StaffMember, Unit
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitChanged, UserChanged
from opsdesk_shared.messaging.ordering import upsert_in_order


async def apply_user(session: AsyncSession, envelope: Envelope) -> None:
    user = envelope.parse(UserChanged)
    # Only the gateway's fields (the project manager among its roles); skills and district are dispatch's own.
    values = {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "roles": list(user.roles),
        "unit_id": user.unit_id,
        "is_active": user.is_active,
        "updated_at": datetime.now(UTC),
    }
    await upsert_in_order(
        session,
        envelope,
        StaffMember,
        aggregate="user",
        key="user_id",
        key_value=user.user_id,
        values=values,
        event_version=user.aggregate_version,
    )


async def apply_unit(session: AsyncSession, envelope: Envelope) -> None:
    unit = envelope.parse(UnitChanged)
    values = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "path": list(unit.path),
    }
    await upsert_in_order(
        session,
        envelope,
        Unit,
        aggregate="unit",
        key="id",
        key_value=unit.unit_id,
        values=values,
        event_version=unit.aggregate_version,
    )


async def unit_path(session: AsyncSession, unit_id: UUID) -> list[UUID]:
    path = await session.scalar(select(Unit.path).where(Unit.id == unit_id))
    return list(path) if path else [unit_id]


async def staff_member(session: AsyncSession, user_id: UUID) -> StaffMember | None:
    return await session.get(StaffMember, user_id)
