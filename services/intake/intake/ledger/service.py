"""Intake's copy of the ledger: kept from `asset.registered`, `asset.updated` and `asset.status_changed`
(the newest version of each asset, whatever order its events arrive in), and the check a ticket's asset
tag goes through when it is filed or reclassified."""

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.ledger.models import KnownAsset
from opsdesk_shared.contracts.assets import AssetChanged, AssetStatusChanged
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.vocabulary import QUIET_CHANNELS
from opsdesk_shared.errors import RuleViolation
from opsdesk_shared.messaging.ordering import upsert_in_order


async def apply_asset(session: AsyncSession, envelope: Envelope) -> None:
    asset = envelope.parse(AssetChanged)
    values = {
        "tag": asset.tag.upper(),
        "asset_class": asset.asset_class,
        "name": asset.name,
        "unit_id": asset.unit_id,
        "site": asset.site,
        "room": asset.room,
        "criticality": asset.criticality,
        "status": asset.status,
    }
    await _upsert(session, envelope, asset.asset_id, values, asset.aggregate_version)


async def apply_status(session: AsyncSession, envelope: Envelope) -> None:
    change = envelope.parse(AssetStatusChanged)
    values = {
        "tag": change.tag.upper(),
        "asset_class": change.asset_class,
        "unit_id": change.unit_id,
        "status": change.to_status,
    }
    await _upsert(session, envelope, change.asset_id, values, change.aggregate_version)


async def _upsert(
    session: AsyncSession, envelope: Envelope, asset_id: UUID, values: dict[str, Any], version: int
) -> None:
    await upsert_in_order(
        session,
        envelope,
        KnownAsset,
        aggregate="asset",
        key="asset_id",
        key_value=asset_id,
        values=values,
        event_version=version,
    )


async def by_tag(session: AsyncSession, tag: str) -> KnownAsset | None:
    """The ledger's asset with this tag (tags are kept upper case, as the ledger keeps them)."""
    rows = await session.execute(
        select(KnownAsset)
        .where(KnownAsset.tag == tag.strip().upper())
        .order_by(KnownAsset.applied_version.desc())
        .limit(1)
    )
    return rows.scalar()


async def resolve_tag(session: AsyncSession, tag: str | None, channel: str) -> tuple[KnownAsset | None, bool]:
    """The asset a ticket's tag names, and whether the tag is flagged unknown. A person filing with a tag the
    ledger does not have is refused (a typo is theirs to fix); an inspection or monitoring ticket is opened
    with the tag flagged instead, never dropped (the fault is real whatever the ledger says)."""
    if tag is None:
        return None, False
    if channel in QUIET_CHANNELS:
        asset = await by_tag(session, tag)
        return asset, asset is None
    return await require_known(session, tag), False


async def require_known(session: AsyncSession, tag: str) -> KnownAsset:
    """The ledger's asset with this tag, or 422 naming `asset_tag`."""
    asset = await by_tag(session, tag)
    if asset is not None:
        return asset
    raise RuleViolation(
        f"no asset {tag.strip().upper()} in the equipment ledger; check the tag on the label. An asset registered "
        "a moment ago may not be known here yet: try again in a minute",
        field="asset_tag",
        code="ticket.asset_unknown",
        params={"tag": tag.strip().upper()},
    )
