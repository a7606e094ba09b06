"""The gateway's units and users as intake keeps them (from `unit.*` / `user.*` events): the unit tree
for requester scoping, and who a phone number belongs to for the hotline. The newest version of each
is kept, whatever order its events arrive in (`opsdesk_shared/messaging/ordering.py`)."""

from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from intake.directory.models import KnownUser, Unit
from intake.tickets.models import Ticket
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitChanged, UserChanged
from opsdesk_shared.messaging.ordering import upsert_in_order


async def apply_unit(session: AsyncSession, envelope: Envelope) -> None:
    unit = envelope.parse(UnitChanged)
    values = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent_id": unit.parent_id,
        "path": list(unit.path),
    }
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
    if not applied:  # an older path than the one kept: the tickets have the newer one already
        return
    # Tickets filed before this event arrived (or before a move in the tree) get the unit's real path.
    await session.execute(
        update(Ticket)
        .where(Ticket.unit_id == unit.unit_id, Ticket.unit_path != list(unit.path))
        .values(unit_path=list(unit.path))
    )


async def apply_user(session: AsyncSession, envelope: Envelope) -> None:
    user = envelope.parse(UserChanged)
    values = {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "unit_id": user.unit_id,
        "roles": list(user.roles),
        "is_active": user.is_active,
    }
    await upsert_in_order(
        session,
        envelope,
        KnownUser,
        aggregate="user",
        key="user_id",
        key_value=user.user_id,
        values=values,
        event_version=user.aggregate_version,
    )


async def unit_path(session: AsyncSession, unit_id: UUID) -> list[UUID] | None:
    path = await session.scalar(select(Unit.path).where(Unit.id == unit_id))
    return list(path) if path is not None else None


async def root_unit(session: AsyncSession) -> UUID:
    """The top of the unit tree (the bureau): where a ticket goes when nothing names its unit."""
    root = await session.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.code).limit(1))
    if root is None:
        raise LookupError("no unit known yet: the gateway's unit events have not arrived")
    return root


async def users_with_phone(session: AsyncSession, phone: str) -> list[KnownUser]:
    rows = await session.execute(select(KnownUser).where(KnownUser.phone == phone, KnownUser.is_active.is_(True)))
    return list(rows.scalars())


async def display_names(session: AsyncSession, user_ids: set[UUID]) -> dict[UUID, str]:
    """The names people know these users by (the gateway's display names), for the ticket's timeline and
    comments: they record the account name at write time, which is no name for a reader."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(KnownUser.user_id, KnownUser.display_name).where(KnownUser.user_id.in_(user_ids))
    )
    return {user_id: name for user_id, name in rows if name}
