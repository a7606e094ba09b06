"""The equipment ledger from the assets service's `asset.*` events (`asset_dim`): the newest version of an
asset wins, whatever order its events arrive or are replayed in (as unit_dim does). Each event is also kept
as one change of the ledger (`asset_change_fact`, keyed by the event's id, so a redelivery adds nothing): the
registrations, changes of details, technical-ledger recordings and changes of status the acceptance reports
count."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.assets import AssetChanged, AssetRegistered, AssetStatusChanged, AssetUpdated
from opsdesk_shared.contracts.envelope import Envelope
from reporting.periods import local_day

_ASSET = text(
    "INSERT INTO asset_dim AS a (asset_id, tag, asset_class, security_zone, owning_system, unit_id, status,"
    " applied_version, name, site, room) VALUES (:id, :tag, :asset_class, :zone, :system, :unit_id, :status, :version,"
    " :name, :site, :room) "
    "ON CONFLICT (asset_id) DO UPDATE SET tag = EXCLUDED.tag, asset_class = EXCLUDED.asset_class,"
    " security_zone = EXCLUDED.security_zone, owning_system = EXCLUDED.owning_system, unit_id = EXCLUDED.unit_id,"
    " status = EXCLUDED.status, applied_version = EXCLUDED.applied_version, name = EXCLUDED.name,"
    " site = EXCLUDED.site, room = EXCLUDED.room WHERE a.applied_version < EXCLUDED.applied_version"
)
_STATUS = text(
    "UPDATE asset_dim SET status = :status, applied_version = :version"
    " WHERE asset_id = :id AND applied_version < :version"
)

_CHANGE = text(
    "INSERT INTO asset_change_fact (event_id, asset_id, tag, asset_class, kind, changed_fields, from_status,"
    " to_status, changed_at, day) VALUES (:event_id, :asset_id, :tag, :asset_class, :kind, :fields, :from_status,"
    " :to_status, :at, :day) ON CONFLICT (event_id) DO NOTHING"
)
KINDS = {AssetRegistered.type: "registered", AssetUpdated.type: "updated", AssetStatusChanged.type: "status_changed"}


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
    kind, fields = KINDS[envelope.type], list[str]()
    if envelope.type == AssetUpdated.type:
        update = envelope.parse(AssetUpdated)
        # A technical-ledger recording: the facts it changed, the asset itself as it was.
        kind, fields = ("technical", update.technical) if update.technical else (kind, update.changed)
    at = envelope.occurred_at
    await session.execute(
        _CHANGE,
        {
            "event_id": envelope.id,
            "asset_id": a.asset_id,
            "tag": a.tag,
            "asset_class": a.asset_class,
            "kind": kind,
            "fields": fields,
            "from_status": None,
            "to_status": a.status if envelope.type == AssetRegistered.type else None,
            "at": at,
            "day": local_day(at),
        },
    )
    return None


async def status_changed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    """Only the status; an asset not yet known waits for its `asset.registered` (which carries it)."""
    change = envelope.parse(AssetStatusChanged)
    await session.execute(
        _STATUS, {"id": change.asset_id, "status": change.to_status, "version": change.aggregate_version}
    )
    await session.execute(
        _CHANGE,
        {
            "event_id": envelope.id,
            "asset_id": change.asset_id,
            "tag": change.tag,
            "asset_class": change.asset_class,
            "kind": KINDS[envelope.type],
            "fields": [],
            "from_status": change.from_status,
            "to_status": change.to_status,
            "at": change.changed_at,
            "day": local_day(change.changed_at),
        },
    )
    return None


HANDLERS = {
    AssetRegistered.type: asset_changed,
    AssetUpdated.type: asset_changed,
    AssetStatusChanged.type: status_changed,
}
