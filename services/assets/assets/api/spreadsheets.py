"""/api/assets/import and /api/assets/export: the ledger as the bureau keeps it, in Excel (or CSV)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Response, UploadFile

from assets.api.dependencies import Keeper, Reader, Settings
from assets.directory import service as directory
from assets.ledger import imports, service, spreadsheet
from assets.ledger.models import Asset
from assets.ledger.schemas import AssetFilter, ImportResult
from opsdesk_shared.dependencies import ReadSession, Uow
from opsdesk_shared.errors import PayloadTooLarge

router = APIRouter(prefix="/api/assets", tags=["assets"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("/import", response_model=ImportResult)
async def import_ledger(
    file: Annotated[UploadFile, File(description="the ledger as .xlsx or .csv, the first row naming the columns")],
    principal: Keeper,
    uow: Uow,
    settings: Settings,
) -> ImportResult:
    """Every row is checked first; a file with any bad row is refused whole (each bad row and field named) and
    nothing is imported. Rows match the ledger by asset tag; importing the same file again changes nothing."""
    content = await file.read(settings.import_max_bytes + 1)
    if len(content) > settings.import_max_bytes:
        raise PayloadTooLarge(f"the file exceeds {settings.import_max_bytes} bytes", field="file")
    return await imports.import_ledger(uow, principal, content, file.filename or "", max_rows=settings.import_max_rows)


@router.get("/export", response_class=Response, responses={200: {"content": {XLSX: {}}}})
async def export_ledger(principal: Reader, session: ReadSession, f: Annotated[AssetFilter, Query()]) -> Response:
    """The ledger (filtered as the list is, every page) as an XLSX workbook that imports back unchanged."""
    rows = (await session.execute(service.filtered(principal, f).order_by(Asset.tag))).scalars().all()
    units = await directory.by_ids(session, {a.unit_id for a in rows})
    records = []
    for asset in rows:
        unit = units.get(asset.unit_id)
        record = {name: getattr(asset, name, None) for name, _ in spreadsheet.COLUMNS}
        record["unit_code"], record["unit_name"] = (unit.code, unit.name) if unit else ("", "")
        records.append(record)
    filename = quote("设备台帐.xlsx")
    return Response(
        spreadsheet.write_xlsx(records),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename=assets.xlsx; filename*=UTF-8''{filename}"},
    )
