"""`/api/reports/{summary,sla,costs,availability,equipment,weekly,monthly,quarterly,annual,inspections,
inspections/period,machine-room}`: every report as JSON, CSV, XLSX or PDF (`format=`)."""

from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from opsdesk_shared.dependencies import ReadSession
from opsdesk_shared.documents.render import Format
from opsdesk_shared.errors import RuleViolation
from reporting import periods
from reporting.api.dependencies import (
    ContractReader,
    FilterParams,
    FormatParam,
    FromDay,
    InspectionReader,
    Settings,
    SlaReader,
    SummaryReader,
    ToDay,
    answer,
)
from reporting.reports.acceptance import AcceptanceReport, acceptance, acceptance_document
from reporting.reports.availability import AvailabilityReport, availability, availability_document
from reporting.reports.breaches import BreachList, breach_document, breaches
from reporting.reports.costs import CostReport, cost_document, costs
from reporting.reports.equipment import EquipmentReport, equipment, equipment_document
from reporting.reports.filters import Filters
from reporting.reports.inspections import (
    DailyInspectionReport,
    InspectionPeriod,
    daily_inspections,
    inspection_document,
    inspection_period,
    inspection_period_document,
)
from reporting.reports.machine_room import MachineRoomReport, machine_room, machine_room_document
from reporting.reports.monthly import MonthlyBulletin, monthly, monthly_document
from reporting.reports.summary import Summary, summarize, summary_document
from reporting.reports.weekly import WeeklyReport, weekly, weekly_document

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/summary", response_model=Summary)
async def summary(
    request: Request,
    principal: SummaryReader,
    session: ReadSession,
    query: FilterParams,
    fmt: FormatParam = Format.json,
) -> Response | Summary:
    filters = await query.scoped(session, principal)
    result = await summarize(session, filters, with_traffic=filters.unit_root is None)
    return await answer(request, principal, fmt, result, lambda: summary_document(result, filters))


@router.get("/sla", response_model=BreachList)
async def sla_breaches(
    request: Request,
    principal: SlaReader,
    session: ReadSession,
    query: FilterParams,
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
    session: ReadSession,
    query: FilterParams,
    fmt: FormatParam = Format.json,
) -> Response | CostReport:
    """Repair costs of the work orders resolved in the period, with who bears each and the totals."""
    filters = Filters(query.period, query.unit_id, query.category, query.priority)
    result = await costs(session, filters)
    return await answer(request, principal, fmt, result, lambda: cost_document(result, filters))


@router.get("/availability", response_model=AvailabilityReport)
async def device_availability(
    request: Request,
    principal: SummaryReader,
    session: ReadSession,
    query: FilterParams,
    fmt: FormatParam = Format.json,
) -> Response | AvailabilityReport:
    """Devices' online rate (设备在线率) in the period: per asset, class and unit, from availability alerts."""
    filters = await query.scoped(session, principal)
    result = await availability(session, filters)
    return await answer(request, principal, fmt, result, lambda: availability_document(result, filters))


@router.get("/equipment", response_model=EquipmentReport)
async def equipment_statistics(
    request: Request,
    principal: ContractReader,
    session: ReadSession,
    from_: FromDay = None,
    to: ToDay = None,
    unit_id: Annotated[UUID | None, Query(description="this unit and every unit below it")] = None,
    top: Annotated[int, Query(ge=1, le=100, description="how many of the assets that fail most")] = 10,
    fmt: FormatParam = Format.json,
) -> Response | EquipmentReport:
    """Equipment statistics and fault analysis (设备统计/故障分析): the period's fault tickets by equipment class
    and security zone, each class's time out of service, and the assets that fail most."""
    filters = Filters(periods.day_range(from_, to), unit_id)
    result = await equipment(session, filters, top)
    return await answer(request, principal, fmt, result, lambda: equipment_document(result, filters))


def _week(week: str | None) -> periods.Period:
    if week is None:  # the last complete week
        today = periods.local_day(datetime.now(UTC))
        return periods.week_of(date.fromordinal(today.toordinal() - 7))
    return periods.iso_week(week)


@router.get("/weekly", response_model=WeeklyReport)
async def weekly_report(
    request: Request,
    principal: ContractReader,
    session: ReadSession,
    week: Annotated[str | None, Query(description="ISO week, e.g. 2026-W48; default the last complete week")] = None,
    fmt: FormatParam = Format.json,
) -> Response | WeeklyReport:
    filters = Filters(_week(week))
    result = await weekly(session, filters)
    return await answer(request, principal, fmt, result, lambda: weekly_document(result, filters))


@router.get("/monthly", response_model=MonthlyBulletin)
async def monthly_bulletin(
    request: Request,
    principal: ContractReader,
    session: ReadSession,
    month: Annotated[str, Query(description="e.g. 2026-11")],
    fmt: FormatParam = Format.json,
) -> Response | MonthlyBulletin:
    """The monthly operations bulletin (运行情况通报): the devices' online rate, volume and SLA of the month."""
    filters = Filters(periods.month(month))
    result = await monthly(session, filters)
    return await answer(request, principal, fmt, result, lambda: monthly_document(result, filters))


@router.get("/quarterly", response_model=AcceptanceReport)
async def quarterly_report(
    request: Request,
    principal: ContractReader,
    session: ReadSession,
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
    session: ReadSession,
    settings: Settings,
    year: Annotated[int, Query(ge=2000, le=2100, description="contract year starting in this year")],
    fmt: FormatParam = Format.json,
) -> Response | AcceptanceReport:
    filters = Filters(periods.contract_year(year, settings.contract_year_start))
    result = await acceptance(session, filters, "annual")
    return await answer(request, principal, fmt, result, lambda: acceptance_document(result, filters))


@router.get("/inspections", response_model=DailyInspectionReport)
async def daily_inspection_report(
    request: Request,
    principal: InspectionReader,
    session: ReadSession,
    day: Annotated[date | None, Query(description="the local day (Asia/Shanghai); default today")] = None,
    fmt: FormatParam = Format.json,
) -> Response | DailyInspectionReport:
    """The daily inspection report (日常巡检报告): rounds due, done and missed, items checked, abnormal items,
    and each finding with the ticket it became."""
    result = await daily_inspections(session, day or periods.local_day(datetime.now(UTC)))
    return await answer(request, principal, fmt, result, lambda: inspection_document(result))


@router.get("/inspections/period", response_model=InspectionPeriod)
async def inspection_figures(
    request: Request,
    principal: InspectionReader,
    session: ReadSession,
    from_: FromDay = None,
    to: ToDay = None,
    fmt: FormatParam = Format.json,
) -> Response | InspectionPeriod:
    """Inspections over a period (default the last 30 days): rounds due, done and missed, items checked and
    abnormal, findings and the tickets they opened, per day (zero-filled) and in total, and the findings per
    equipment class; what the dashboard's inspection charts draw."""
    period = periods.day_range(from_, to)
    result = await inspection_period(session, period)
    return await answer(request, principal, fmt, result, lambda: inspection_period_document(result, period))


@router.get("/machine-room", response_model=MachineRoomReport)
async def machine_room_report(
    request: Request,
    principal: InspectionReader,
    session: ReadSession,
    day: Annotated[date | None, Query(description="one local day (Asia/Shanghai); default today")] = None,
    from_: FromDay = None,
    to: ToDay = None,
    fmt: FormatParam = Format.json,
) -> Response | MachineRoomReport:
    """The machine-room inspection report (机房巡检报告) of a day, or of a period (`from`/`to`): the machine-room
    rounds done and missed, every reading with its normal range (abnormal ones marked), who inspected and
    when, and the findings with their tickets."""
    if day is not None and (from_ is not None or to is not None):
        raise RuleViolation("day: give a day or a period (from/to), not both", field="day", code="query.day_or_period")
    if day is None and from_ is None and to is None:
        day = periods.local_day(datetime.now(UTC))
    period = periods.Period(day.isoformat(), day, day) if day is not None else periods.day_range(from_, to)
    result = await machine_room(session, period)
    return await answer(request, principal, fmt, result, lambda: machine_room_document(result))
