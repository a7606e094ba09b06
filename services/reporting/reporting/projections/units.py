"""The unit tree from the gateway's `unit.*` events: names for the reports and paths for subtree scoping."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitChanged, UnitCreated, UnitUpdated

_UNIT = text(
    "INSERT INTO unit_dim (unit_id, code, name, kind, path) VALUES (:id, :code, :name, :kind, :path) "
    "ON CONFLICT (unit_id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name, kind = EXCLUDED.kind,"
    " path = EXCLUDED.path"
)


async def unit_changed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    u = envelope.parse(UnitChanged)
    await session.execute(_UNIT, {"id": u.unit_id, "code": u.code, "name": u.name, "kind": u.kind, "path": u.path})
    return None


HANDLERS = {UnitCreated.type: unit_changed, UnitUpdated.type: unit_changed}
