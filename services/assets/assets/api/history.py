"""/api/assets: an asset's page (its history) and the fault analysis across the ledger."""

from typing import Annotated

from fastapi import APIRouter, Query

from assets.api.dependencies import Reader
from assets.api.ledger import detail
from assets.history import service
from assets.history.schemas import AssetHistory, FaultAnalysis, FaultPeriod
from assets.inspections.schemas import FindingOut
from assets.ledger import service as ledger
from assets.technical import service as technical
from assets.technical.schemas import TechnicalEntryOut
from opsdesk_shared.dependencies import ReadSession

router = APIRouter(prefix="/api/assets", tags=["assets"])


@router.get("/faults", response_model=FaultAnalysis)
async def fault_analysis(principal: Reader, session: ReadSession, f: Annotated[FaultPeriod, Query()]) -> FaultAnalysis:
    """Faults per equipment class and the assets that fail most (故障归类、分析): fault tickets filed in the
    period on assets of the ledger the reader may see, cancelled ones left out."""
    return await service.fault_analysis(session, principal, f)


@router.get("/by-tag/{tag:path}/history", response_model=AssetHistory)
async def history(tag: str, principal: Reader, session: ReadSession) -> AssetHistory:
    """What a scanned label opens: the asset, its status changes, tickets and work orders, and (as the
    reader's role allows) its technical-ledger changes, inspections and findings."""
    asset = await ledger.by_tag(session, principal, tag)
    findings = None
    if principal.has_any(*service.FINDING_READERS):
        findings = [FindingOut.model_validate(f) for f in await service.findings_of(session, asset)]
    return AssetHistory(
        asset=await detail(session, asset),
        tickets=await service.tickets_of(session, principal, asset),
        findings=findings,
        inspections=(
            await service.inspections_of(session, asset) if principal.has_any(*service.INSPECTION_READERS) else None
        ),
        technical=(
            [TechnicalEntryOut.model_validate(e) for e in await technical.history(session, asset.id)]
            if principal.has_any(*service.TECHNICAL_READERS)
            else None
        ),
    )
