"""/api/assets labels: a printable label per asset, and a sheet of them (A4), each with a QR code that opens
the asset's page in the web UI."""

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from assets.api.dependencies import Reader, Settings
from assets.config import AssetsSettings
from assets.directory import service as directory
from assets.ledger import label_pdf, service
from assets.ledger.labels import label
from assets.ledger.models import Asset
from assets.ledger.schemas import LabelFilter
from opsdesk_shared.dependencies import ReadSession

router = APIRouter(prefix="/api/assets", tags=["assets"])
PDF = "application/pdf"
FOOTER = "扫码查看设备档案 · 运维服务台"


async def texts(session: AsyncSession, settings: AssetsSettings, assets: list[Asset]) -> list[label_pdf.LabelText]:
    units = await directory.by_ids(session, {a.unit_id for a in assets})
    return [
        label_pdf.LabelText(
            tag=a.tag,
            url=label_pdf.page_url(settings.public_url, a.tag),
            name=a.name or "",
            kind="" if label(a.asset_class) == a.name else label(a.asset_class),
            place=" · ".join(part for part in (a.site, a.room, a.rack) if part),
            unit=units[a.unit_id].name if a.unit_id in units else "",
            footer=FOOTER,
        )
        for a in assets
    ]


def pdf(content: bytes, ascii_name: str, name: str) -> Response:
    # inline: the browser shows it, and its print dialog prints it at 100 %
    disposition = f"inline; filename={ascii_name}; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=PDF, headers={"Content-Disposition": disposition})


@router.get("/by-tag/{tag:path}/label", response_class=Response, responses={200: {"content": {PDF: {}}}})
async def asset_label(tag: str, principal: Reader, session: ReadSession, settings: Settings) -> Response:
    """The asset's label (63.5 × 33.9 mm, a page of its own) for a label printer."""
    asset = await service.by_tag(session, principal, tag)
    [text] = await texts(session, settings, [asset])
    content = await asyncio.to_thread(label_pdf.single, text, settings.label_font_path)
    return pdf(content, "label.pdf", f"设备标签-{asset.tag}.pdf")


@router.get("/labels", response_class=Response, responses={200: {"content": {PDF: {}}}})
async def label_sheet(
    principal: Reader, session: ReadSession, settings: Settings, f: Annotated[LabelFilter, Query()]
) -> Response:
    """Labels of the assets the ledger's filter finds (a site's, a room's…) on A4 sheets of 3 × 8, in the
    order they stand: site, room, rack, tag."""
    stmt = service.filtered(principal, f).order_by(Asset.site, Asset.room, Asset.rack, Asset.tag).limit(f.limit)
    assets = list((await session.execute(stmt)).scalars())
    title = f"设备标签 {f.site or ''}".strip()
    labels = await texts(session, settings, assets)
    # Drawn in a thread: a sheet of hundreds of QR codes takes seconds the event loop must not wait for.
    content = await asyncio.to_thread(label_pdf.sheet_of, labels, settings.label_font_path, title)
    return pdf(content, "labels.pdf", f"{title}.pdf")
