"""/api/assets/{id}/technical: the technical ledger (技术台帐), an append-only history per asset. A recording
that changed facts is announced as `asset.updated` naming them (`technical`), for reporting's ledger changes."""

from uuid import UUID

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from assets.api.dependencies import TechnicalReader, TechnicalWriter
from assets.ledger import service as ledger
from assets.ledger.models import Asset
from assets.technical import service
from assets.technical.schemas import TechnicalChange, TechnicalEntryOut, TechnicalLedger
from opsdesk_shared.contracts.assets import AssetUpdated
from opsdesk_shared.dependencies import ReadSession, Uow

router = APIRouter(prefix="/api/assets", tags=["technical ledger"])


async def _ledger(session: AsyncSession, asset: Asset, recorded: int = 0) -> TechnicalLedger:
    entries = await service.history(session, asset.id)
    return TechnicalLedger(
        asset_id=asset.id,
        tag=asset.tag,
        current={f: TechnicalEntryOut.model_validate(e) for f, e in service.current(entries).items()},
        history=[TechnicalEntryOut.model_validate(e) for e in entries],
        recorded=recorded,
    )


@router.get("/{asset_id}/technical", response_model=TechnicalLedger)
async def technical_ledger(asset_id: UUID, principal: TechnicalReader, session: ReadSession) -> TechnicalLedger:
    return await _ledger(session, await ledger.get_visible(session, principal, asset_id))


@router.post("/{asset_id}/technical", response_model=TechnicalLedger)
async def record_technical(
    asset_id: UUID, body: TechnicalChange, principal: TechnicalWriter, uow: Uow
) -> TechnicalLedger:
    asset = await ledger.get_for_update(uow, asset_id)
    added = await service.record(uow, principal, asset, body)
    if added:
        facts = sorted({e.fact for e in added})
        await ledger.announce(uow, ledger.changed_event(asset, AssetUpdated, technical=facts), None)
    return await _ledger(uow, asset, recorded=len(added))
