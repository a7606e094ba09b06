"""The unit tree from the gateway's `unit.*` events: names for the reports and paths for subtree scoping."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.gateway import UnitChanged, UnitCreated, UnitUpdated

# The newest version of a unit wins, whatever order its events arrive (or are replayed) in; two versions
# 0 (events written before versions existed) go by arrival, as before (opsdesk_shared/messaging/ordering.py).
# Unlike dispatch and intake, nothing is recorded for an older one: every event is kept in stored_event.
_UNIT = text(
    "INSERT INTO unit_dim AS u (unit_id, code, name, kind, path, applied_version)"
    " VALUES (:id, :code, :name, :kind, :path, :version) "
    "ON CONFLICT (unit_id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name, kind = EXCLUDED.kind,"
    " path = EXCLUDED.path, applied_version = EXCLUDED.applied_version"
    " WHERE u.applied_version < EXCLUDED.applied_version OR (u.applied_version = 0 AND EXCLUDED.applied_version = 0)"
)


async def unit_changed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    u = envelope.parse(UnitChanged)
    await session.execute(
        _UNIT,
        {
            "id": u.unit_id,
            "code": u.code,
            "name": u.name,
            "kind": u.kind,
            "path": u.path,
            "version": u.aggregate_version,
        },
    )
    return None


HANDLERS = {UnitCreated.type: unit_changed, UnitUpdated.type: unit_changed}
