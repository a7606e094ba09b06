"""`/api/reports`: every report as JSON, CSV, XLSX or PDF (`format=`), the weekly plan, and the archive
of generated weekly reports."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.auth import Principal, Role, require_roles
from opsdesk_shared.contracts.vocabulary import Category, Priority
from opsdesk_shared.errors import NotFound
from reporting import periods
from reporting.archive import archive_week
from reporting.config import ReportingSettings
from reporting.exports.document import Document
from reporting.exports.limits import RenderLimits
from reporting.exports.render import Format, disposition, render
from reporting.reports.acceptance import AcceptanceReport, acceptance, acceptance_document
from reporting.reports.access import CONTRACT_READERS, PLAN_WRITERS, SLA_READERS, SUMMARY_READERS, scoped_filters
from reporting.reports.breaches import BreachList, breach_document, breaches
from reporting.reports.contract import ContractIn, ContractOut, get_contract, put_contract
from reporting.reports.costs import CostReport, cost_document, costs
from reporting.reports.filters import Filters
from reporting.reports.summary import Summary, summarize, summary_document
from reporting.reports.weekly import WeeklyReport, weekly, weekly_document

router = APIRouter(prefix="/api/reports", tags=["reports"])

SummaryReader = Annotated[Principal, Depends(require_roles(*SUMMARY_READERS))]
SlaReader = Annotated[Principal, Depends(require_roles(*SLA_READERS))]
ContractReader = Annotated[Principal, Depends(require_roles(*CONTRACT_READERS))]
PlanWriter = Annotated[Principal, Depends(require_roles(*PLAN_WRITERS))]
ContractKeeper = Annotated[Principal, Depends(require_roles(Role.ADMIN))]

FormatParam = Annotated[Format, Query(alias="format")]
FromDay = Annotated[date | None, Query(alias="from", description="first local day (Asia/Shanghai), inclusive")]
ToDay = Annotated[date | None, Query(description="last local day, inclusive")]


async def read_session(request: Request):  # type: ignore[no-untyped-def]
    async with request.app.state.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(read_session)]


def settings_of(request: Request) -> ReportingSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


class FilterQuery:
    """The filters the summary, SLA and cost reports share, as query parameters."""

    def __init__(
        self,
        from_: FromDay = None,
        to: ToDay = None,
        unit_id: UUID | None = None,
        category: Category | None = None,
        priority: Priority | None = None,
    ) -> None:
        self.period = periods.day_range(from_, to)
        self.unit_id, self.category, self.priority = unit_id, category, priority

    async def scoped(self, session: AsyncSession, principal: Principal) -> Filters:
        return await scoped_filters(
            session, principal, self.period, unit_id=self.unit_id, category=self.category, priority=self.priority
        )


Query_ = Annotated[FilterQuery, Depends()]


async def answer(
    request: Request, principal: Principal, fmt: Format, result: BaseModel, document: Callable[[], Document]
) -> Any:
    """The report's figures as JSON, or its document rendered in the format asked for (a file within the
    caller's render slots and the time limit)."""
    if fmt is Format.json:
        return result
    limits: RenderLimits = request.app.state.render_limits
    return await render(document(), fmt, settings_of(request).report_font_path, limits, principal.subject)


@router.get("/summary", response_model=Summary)
async def summary(
    request: Request,
    principal: SummaryReader,
    session: Session,
    query: Query_,
    fmt: FormatParam = Format.json,
) -> Response | Summary:
    filters = await query.scoped(session, principal)
    result = await summarize(session, filters, with_traffic=filters.unit_root is None)
    return await answer(request, principal, fmt, result, lambda: summary_document(result, filters))


@router.get("/sla", response_model=BreachList)
async def sla_breaches(
    request: Request,
    principal: SlaReader,
    session: Session,
    query: Query_,
    fmt: FormatParam = Format.json,
) -> Response | BreachList:
    """Every breached SLA clock of the tickets created in the period, with due instant and lateness."""
    filters = await query.scoped(session, principal)
    result = await breaches(session, filters)
    return await answer(request, principal, fmt, result, lambda: breach_document(result, filters))


@router.get("/costs", response_model=CostReport)
async def repair_costs(
    request: Request,
    principal: ContractReader,
    session: Session,
    query: Query_,
    fmt: FormatParam = Format.json,
) -> Response | CostReport:
    """Repair costs of the work orders resolved in the period, with who bears each and the totals."""
    filters = Filters(query.period, query.unit_id, query.category, query.priority)
    result = await costs(session, filters)
    return await answer(request, principal, fmt, result, lambda: cost_document(result, filters))


def _week(week: str | None) -> periods.Period:
    if week is None:  # the last complete week
        today = periods.local_day(datetime.now(UTC))
        return periods.week_of(date.fromordinal(today.toordinal() - 7))
    return periods.iso_week(week)


@router.get("/weekly", response_model=WeeklyReport)
async def weekly_report(
    request: Request,
    principal: ContractReader,
    session: Session,
    week: Annotated[str | None, Query(description="ISO week, e.g. 2026-W48; default the last complete week")] = None,
    fmt: FormatParam = Format.json,
) -> Response | WeeklyReport:
    filters = Filters(_week(week))
    result = await weekly(session, filters)
    return await answer(request, principal, fmt, result, lambda: weekly_document(result, filters))


class PlanIn(BaseModel):
    model_config = {"extra": "forbid"}
    plan: str = Field(min_length=1, max_length=20_000)


class PlanOut(BaseModel):
    week: str
    plan: str
    updated_by: str | None  # None: nobody has written this week's plan yet
    updated_at: datetime | None


@router.get("/weekly/{week}/plan", response_model=PlanOut)
async def get_weekly_plan(week: str, _: ContractReader, session: Session) -> PlanOut:
    """The week's plan alone (an empty one if not written yet), without computing the whole report."""
    period = periods.iso_week(week)
    row = (
        await session.execute(
            text("SELECT plan, updated_by, updated_at FROM weekly_plan WHERE week = :w"), {"w": period.label}
        )
    ).first()
    if row is None:
        return PlanOut(week=period.label, plan="", updated_by=None, updated_at=None)
    return PlanOut(week=period.label, plan=row.plan, updated_by=row.updated_by, updated_at=row.updated_at)


@router.put("/weekly/{week}/plan", response_model=PlanOut)
async def put_weekly_plan(week: str, body: PlanIn, principal: PlanWriter, session: Session) -> PlanOut:
    """Next week's work plan, printed in the week's report (written by the vendor's dispatcher or admin)."""
    period = periods.iso_week(week)
    now = datetime.now(UTC)
    async with session.begin():
        await session.execute(
            text(
                "INSERT INTO weekly_plan (week, plan, updated_by, updated_at) VALUES (:w, :p, :by, :at) "
                "ON CONFLICT (week) DO UPDATE SET plan = EXCLUDED.plan, updated_by = EXCLUDED.updated_by,"
                " updated_at = EXCLUDED.updated_at"
            ),
            {"w": period.label, "p": body.plan, "by": principal.username, "at": now},
        )
    return PlanOut(week=period.label, plan=body.plan, updated_by=principal.username, updated_at=now)


@router.get("/contract", response_model=ContractOut)
async def get_contract_particulars(_: SummaryReader, session: Session) -> ContractOut:
    """The service contract the acceptance reports are made under (`configured: false` until entered)."""
    return await get_contract(session)


@router.put("/contract", response_model=ContractOut)
async def put_contract_particulars(body: ContractIn, principal: ContractKeeper, session: Session) -> ContractOut:
    """The contract's particulars (parties, number, period), kept by an admin and printed on every
    quarterly and annual report generated from now on."""
    async with session.begin():
        return await put_contract(session, body, principal.username)


@router.get("/quarterly", response_model=AcceptanceReport)
async def quarterly_report(
    request: Request,
    principal: ContractReader,
    session: Session,
    quarter: Annotated[str, Query(description="e.g. 2026Q4")],
    fmt: FormatParam = Format.json,
) -> Response | AcceptanceReport:
    filters = Filters(periods.quarter(quarter))
    result = await acceptance(session, filters, "quarterly")
    return await answer(request, principal, fmt, result, lambda: acceptance_document(result, filters))


@router.get("/annual", response_model=AcceptanceReport)
async def annual_report(
    request: Request,
    principal: ContractReader,
    session: Session,
    year: Annotated[int, Query(ge=2000, le=2100, description="contract year starting in this year")],
    fmt: FormatParam = Format.json,
) -> Response | AcceptanceReport:
    filters = Filters(periods.contract_year(year, settings_of(request).contract_year_start))
    result = await acceptance(session, filters, "annual")
    return await answer(request, principal, fmt, result, lambda: acceptance_document(result, filters))


class ArchivedReport(BaseModel):
    id: UUID
    kind: str
    period: str
    format: str
    filename: str
    size_bytes: int
    generated_at: datetime


@router.get("/archive", response_model=dict[str, list[ArchivedReport]])
async def list_archive(
    _: ContractReader,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, list[ArchivedReport]]:
    rows = await session.execute(
        text(
            "SELECT id, kind, period, format, filename, octet_length(content) AS size_bytes, generated_at "
            "FROM report_archive ORDER BY period DESC, format LIMIT :n"
        ),
        {"n": limit},
    )
    return {"items": [ArchivedReport(**dict(r._mapping)) for r in rows]}


@router.get("/archive/{report_id}", response_class=Response)
async def download_archived(report_id: UUID, _: ContractReader, session: Session) -> Response:
    row = (
        await session.execute(
            text("SELECT filename, media_type, content FROM report_archive WHERE id = :id"), {"id": report_id}
        )
    ).first()
    if row is None:
        raise NotFound("no archived report with this id", code="report.not_found")
    return Response(row.content, media_type=row.media_type, headers=disposition(row.filename))


@router.post("/archive/weekly/{week}", status_code=201, response_model=dict[str, str])
async def regenerate_weekly(week: str, request: Request, _: PlanWriter, session: Session) -> dict[str, str]:
    """Generate (or generate again, e.g. after the plan changed) and keep the week's report; the kept
    files replace the earlier ones."""
    period = periods.iso_week(week)
    async with session.begin():
        await archive_week(session, settings_of(request), period, replace=True)
    return {"week": period.label}
