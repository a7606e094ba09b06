"""/api/assets: the equipment ledger (设备台帐)."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from assets.api.dependencies import Keeper, Reader
from assets.directory import service as directory
from assets.ledger import idempotency, service
from assets.ledger.models import Asset
from assets.ledger.schemas import (
    AssetCreate,
    AssetDetail,
    AssetFilter,
    AssetOut,
    AssetPage,
    AssetPatch,
    StatusChangeIn,
    StatusChangeOut,
)
from opsdesk_shared.dependencies import ReadSession, Uow

router = APIRouter(prefix="/api/assets", tags=["assets"])


async def outs(session: AsyncSession, assets: list[Asset]) -> list[AssetOut]:
    units = await directory.by_ids(session, {a.unit_id for a in assets})
    result = []
    for asset in assets:
        unit = units.get(asset.unit_id)
        out = AssetOut.model_validate(asset)
        out.unit_code, out.unit_name = (unit.code, unit.name) if unit else (None, None)
        result.append(out)
    return result


async def detail(session: AsyncSession, asset: Asset) -> AssetDetail:
    [out] = await outs(session, [asset])
    history = [StatusChangeOut.model_validate(c) for c in await service.status_history(session, asset.id)]
    return AssetDetail(**out.model_dump(), status_history=history)


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="retry-safe registration: same key, same asset"),
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AssetDetail)
async def register(
    body: AssetCreate, principal: Keeper, uow: Uow, response: Response, idempotency_key: IdempotencyKey = None
) -> AssetDetail:
    if idempotency_key:
        body_hash = idempotency.request_hash(body.model_dump(mode="json"))
        earlier = await idempotency.claim(uow, principal, idempotency_key, body_hash)
        if earlier is not None:
            response.headers["Idempotent-Replayed"] = "true"
            return await detail(uow, await service.get_visible(uow, principal, earlier))
    asset = await service.register(uow, principal, body)
    if idempotency_key:
        await idempotency.record(uow, principal, idempotency_key, asset.id)
    return await detail(uow, asset)


@router.get("", response_model=AssetPage)
async def list_assets(principal: Reader, session: ReadSession, f: Annotated[AssetFilter, Query()]) -> AssetPage:
    assets, total = await service.find(session, principal, f)
    return AssetPage(items=await outs(session, assets), total=total, page=f.page, limit=f.limit)


@router.get("/by-tag/{tag:path}", response_model=AssetDetail)
async def get_by_tag(tag: str, principal: Reader, session: ReadSession) -> AssetDetail:
    """What a scanned label or a typed tag opens."""
    return await detail(session, await service.by_tag(session, principal, tag))


@router.get("/{asset_id}", response_model=AssetDetail)
async def get_asset(asset_id: UUID, principal: Reader, session: ReadSession) -> AssetDetail:
    return await detail(session, await service.get_visible(session, principal, asset_id))


@router.patch("/{asset_id}", response_model=AssetDetail)
async def update_asset(asset_id: UUID, body: AssetPatch, principal: Keeper, uow: Uow) -> AssetDetail:
    return await detail(uow, await service.patch(uow, principal, asset_id, body))


@router.post("/{asset_id}/status", response_model=AssetDetail)
async def change_status(asset_id: UUID, body: StatusChangeIn, principal: Keeper, uow: Uow) -> AssetDetail:
    asset = await service.get_for_update(uow, asset_id)
    await service.change_status(uow, principal, asset, body)
    return await detail(uow, asset)
