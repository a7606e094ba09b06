"""`/api/reports/archive`: the weekly reports generated and kept (XLSX and PDF), and their regeneration."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from opsdesk_shared.dependencies import ReadSession, Uow
from opsdesk_shared.documents.render import disposition
from reporting import periods
from reporting.api.dependencies import ContractReader, PlanWriter, Settings
from reporting.archive.schemas import ArchivedReport
from reporting.archive.service import archive_week, archived_file, list_archived

router = APIRouter(prefix="/api/reports/archive", tags=["reports"])


@router.get("", response_model=dict[str, list[ArchivedReport]])
async def list_archive(
    _: ContractReader,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, list[ArchivedReport]]:
    return {"items": await list_archived(session, limit)}


@router.get("/{report_id}", response_class=Response)
async def download_archived(report_id: UUID, _: ContractReader, session: ReadSession) -> Response:
    archived = await archived_file(session, report_id)
    return Response(archived.content, media_type=archived.media_type, headers=disposition(archived.filename))


@router.post("/weekly/{week}", status_code=201, response_model=dict[str, str])
async def regenerate_weekly(week: str, _: PlanWriter, uow: Uow, settings: Settings) -> dict[str, str]:
    """Generate (or generate again, e.g. after the plan changed) and keep the week's report; the kept
    files replace the earlier ones."""
    period = periods.iso_week(week)
    await archive_week(uow, settings, period, replace=True)
    return {"week": period.label}
