"""Devices' down intervals (`device_outage`) from the monitoring receiver's availability alerts: a firing
opens an outage at the alert's start, its recovery closes it at the alert's end. Either may arrive first
(or twice): the row is keyed by the alert and its episode's start, and each event sets only its own end."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.monitoring import AlertChange, AlertFiring, AlertResolved

_UPSERT = (
    "INSERT INTO device_outage AS o (alert_id, started_at, ended_at, asset_id, asset_tag, asset_class, unit_id,"
    " alertname) VALUES (:alert_id, :started_at, :ended_at, :asset_id, :asset_tag, :asset_class, :unit_id, :alertname)"
    " ON CONFLICT (alert_id, started_at) DO UPDATE SET "
)
_OPEN = text(_UPSERT + "asset_id = coalesce(o.asset_id, EXCLUDED.asset_id)")
_CLOSE = text(_UPSERT + "ended_at = EXCLUDED.ended_at")


def _row(change: AlertChange) -> dict[str, object]:
    return {
        "alert_id": change.alert_id,
        "started_at": change.starts_at,
        "asset_id": change.asset_id,
        "asset_tag": change.asset_tag,
        "asset_class": change.asset_class,
        "unit_id": change.unit_id,
        "alertname": change.alertname,
    }


async def alert_firing(session: AsyncSession, envelope: Envelope) -> UUID | None:
    firing = envelope.parse(AlertFiring)
    if firing.availability:
        await session.execute(_OPEN, {**_row(firing), "ended_at": None})
    return None


async def alert_resolved(session: AsyncSession, envelope: Envelope) -> UUID | None:
    resolved = envelope.parse(AlertResolved)
    if resolved.availability:
        await session.execute(_CLOSE, {**_row(resolved), "ended_at": resolved.ends_at})
    return None


HANDLERS = {AlertFiring.type: alert_firing, AlertResolved.type: alert_resolved}
