"""The equipment ledger from the assets service's `asset.*` events (`asset_dim`): the newest version of an
asset wins, whatever order its events arrive or are replayed in (as unit_dim does)."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.assets import AssetChanged, AssetRegistered, AssetStatusChanged, AssetUpdated
from opsdesk_shared.contracts.envelope import Envelope

_ASSET = text(
    "INSERT INTO asset_dim AS a (asset_id, tag, asset_class, security_zone, owning_system, unit_id, status,"
    " applied_version, name, site, room) VALUES (:id, :tag, :asset_class, :zone, :system, :unit_id, :status, :version,"
    " :name, :site, :room) "
    "ON CONFLICT (asset_id) DO UPDATE SET tag = EXCLUDED.tag, asset_class = EXCLUDED.asset_class,"
    " security_zone = EXCLUDED.security_zone, owning_system = EXCLUDED.owning_system, unit_id = EXCLUDED.unit_id,"
    " status = EXCLUDED.status, applied_version = EXCLUDED.applied_version, name = EXCLUDED.name,"
    " site = EXCLUDED.site, room = EXCLUDED.room WHERE a.applied_version < EXCLUDED.applied_version"
)
# Every change kept (keyed by the asset's version after it), so the time out of service is measured from the
# sequence of changes whatever order they arrived in.
_CHANGE = text(
    "INSERT INTO asset_status_change (asset_id, version, changed_at, from_status, to_status)"
    " VALUES (:id, :version, :at, :from_status, :status) ON CONFLICT DO NOTHING"
)
_STATUS = text(
    "UPDATE asset_dim SET status = :status, applied_version = :version"
    " WHERE asset_id = :id AND applied_version < :version"
)


async def asset_changed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    a = envelope.parse(AssetChanged)
    await session.execute(
        _ASSET,
        {
            "id": a.asset_id,
            "tag": a.tag,
            "asset_class": a.asset_class,
            "zone": a.security_zone,
            "system": a.owning_system,
            "unit_id": a.unit_id,
            "status": a.status,
            "version": a.aggregate_version,
            "name": a.name,
            "site": a.site,
            "room": a.room,
        },
    )
    return None


async def status_changed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    """The status (an asset not yet known waits for its `asset.registered`, which carries it), and the change
    itself for the time out of service."""
    change = envelope.parse(AssetStatusChanged)
    await session.execute(
        _STATUS, {"id": change.asset_id, "status": change.to_status, "version": change.aggregate_version}
    )
    await session.execute(
        _CHANGE,
        {
            "id": change.asset_id,
            "version": change.aggregate_version,
            "at": change.changed_at,
            "from_status": change.from_status,
            "status": change.to_status,
        },
    )
    return None


HANDLERS = {
    AssetRegistered.type: asset_changed,
    AssetUpdated.type: asset_changed,
    AssetStatusChanged.type: status_changed,
}
