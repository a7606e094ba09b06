"""The supervisor dashboard: today's and a period's volume, SLA compliance and breaches, the devices' online
rate and the inspections (rounds done and missed per day, findings per equipment class) as ECharts charts,
every report downloadable in every format, and for the vendor's dispatcher or admin next week's plan, which
the week's report prints."""

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError, as_download
from gateway.web.context import LOCAL_TZ, Web, role_guard
from gateway.web.pages import report_periods as periods_
from gateway.web.pages.forms import form_fields
from gateway.web.pages.ticket_list import OPEN_STATUSES

router = APIRouter(prefix="/ui", include_in_schema=False)
Overseer = role_guard("supervisor", "project_manager", "dispatcher", "admin")
PlanWriter = role_guard("dispatcher", "admin")
REPORT_KINDS = {
    "summary": ("from", "to"),
    "sla": ("from", "to"),
    "costs": ("from", "to"),
    "weekly": ("week",),
    "quarterly": ("quarter",),
    "annual": ("year",),
    "inspections": ("day",),  # the daily inspection report (日常巡检报告) of one local day
    "availability": ("from", "to"),  # the devices' online rate (设备在线率)
    "monthly": ("month",),  # the monthly operations bulletin (运行情况通报)
    "equipment": ("from", "to"),  # equipment statistics and fault analysis (设备统计/故障分析)
    "machine-room": ("day",),  # the machine-room inspection report (机房巡检报告) of one local day
    "spares": ("from", "to"),  # the spare-parts report (备品备件报表), the assets service's
}
# Where a report is served when not by reporting under /api/reports/{kind}.
REPORT_PATHS = {"spares": "/api/spares/report"}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FORMATS = ("xlsx", "pdf", "csv", "json")


def _periods(today: date) -> dict[str, str]:
    return {
        "today": today.isoformat(),
        "from": (today - timedelta(days=29)).isoformat(),
        "to": today.isoformat(),
        "week": periods_.week_of(today),  # the week whose plan is written (next week's plan, this week's report)
    }


def _month(value: str | None, today: date) -> str:
    """The month picked (YYYY-MM), else last month: the bulletin goes out for a month that is over."""
    if value and _MONTH.match(value):
        return value
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"


def _charts(
    summary: dict[str, Any],
    label: Any,
    start: date,
    end: date,
    availability: dict[str, Any],
    inspections: dict[str, Any],
) -> str:
    """What the page's ECharts need, as JSON for a data attribute (no inline script under our CSP)."""
    sla = summary.get("sla") or {}
    return json.dumps(
        {
            "per_day": periods_.zero_filled(summary.get("per_day", []), start, end),
            "by_category": [{"name": label(k), "value": v} for k, v in summary.get("by_category", {}).items()],
            "sla": [
                {
                    "metric": label(metric),
                    "met": c.get("met", 0),
                    "breached": c.get("breached", 0),
                    "pct": c.get("compliance_pct"),
                }
                for metric, c in sla.items()
            ],
            # The class's name as the report words it ("交换机 (switch)"): the page shows its own language's label.
            "availability": [
                {"name": label(c["key"]) if c["key"] else c["name"], "pct": c["availability_pct"]}
                for c in availability.get("by_class", [])
            ],
            # Rounds done and missed per day (zero-filled by reporting), findings per equipment class.
            "rounds": [[d["day"], d["rounds_done"], d["rounds_missed"]] for d in inspections.get("per_day", [])],
            "findings": [
                {"name": label(c["asset_class"]) if c["asset_class"] else c["name"], "value": c["findings"]}
                for c in inspections.get("by_class", [])
            ],
        },
        ensure_ascii=False,
    )


def _chosen_reports(web: Web, today: date, week: str | None, quarter: str | None, year: str | None) -> dict[str, Any]:
    """The report periods picked on the page (this week, quarter and contract year unless chosen), each
    with its name as people say it."""
    en = web.lang == "en"
    week = week if week and periods_.parse_week(week) else periods_.week_of(today)
    quarters = periods_.quarters(today, en)
    years = periods_.contract_years(today, en)
    quarter = quarter if quarter in {q.value for q in quarters} else quarters[0].value
    year = year if year in {y.value for y in years} else years[0].value
    return {
        "week": week,
        "quarter": quarter,
        "year": year,
        "quarters": quarters,
        "years": years,
        "names": {
            "weekly": periods_.week_label(week, en),
            "quarterly": periods_.quarter_label(quarter, en),
            "annual": periods_.year_label(year, en),
        },
        "params": {"weekly": {"week": week}, "quarterly": {"quarter": quarter}, "annual": {"year": year}},
    }


def _day(value: str | None, default: str) -> str:
    try:
        return date.fromisoformat(value or default).isoformat()
    except ValueError:
        return default


@router.get("/dashboard")
async def dashboard(
    web: Web = Overseer,
    start: str | None = None,
    end: str | None = None,
    week: str | None = None,
    quarter: str | None = None,
    year: str | None = None,
    day: str | None = None,
    month: str | None = None,
) -> Response:
    today_ = datetime.now(LOCAL_TZ).date()
    periods = _periods(today_)
    start, end = _day(start, periods["from"]), _day(end, periods["to"])
    reports = _chosen_reports(web, today_, week, quarter, year)
    for kind in ("summary", "sla", "costs", "availability", "equipment", "spares"):
        reports["params"][kind] = {"from": start, "to": end}
        reports["names"][kind] = f"{start} — {end}"
    reports["day"] = _day(day, periods["today"])
    reports["params"]["inspections"] = {"day": reports["day"]}
    reports["names"]["inspections"] = reports["day"]
    reports["params"]["machine-room"] = {"day": reports["day"]}
    reports["names"]["machine-room"] = reports["day"]
    reports["month"] = _month(month, today_)
    reports["params"]["monthly"] = {"month": reports["month"]}
    reports["names"]["monthly"] = reports["month"]
    ctx = web.context()
    error = None
    backlog: dict[str, Any] = {"total": 0, "by_status": {}, "by_priority": {}}
    try:
        backlog = await web.api.get("/api/tickets/backlog")
        today = await web.api.get("/api/reports/summary", **{"from": periods["today"], "to": periods["today"]})
        period = await web.api.get("/api/reports/summary", **{"from": start, "to": end})
        breaches = (await web.api.get("/api/reports/sla", **{"from": start, "to": end}))["breaches"]
        availability = await web.api.get("/api/reports/availability", **{"from": start, "to": end})
        inspections = await web.api.get("/api/reports/inspections/period", **{"from": start, "to": end})
        writes_plan = web.session is not None and web.session.has_any("dispatcher", "admin")
        plan = await web.api.get(f"/api/reports/weekly/{periods['week']}/plan") if writes_plan else None
    except ApiError as exc:
        error = exc.detail
        today = period = {"total": 0, "sla": {}, "per_day": [], "by_category": {}, "by_status": {}, "by_unit": {}}
        breaches, plan, availability, inspections = [], None, {}, {}
    return web.render(
        "dashboard.html",
        today=today,
        period=period,
        breaches=breaches[:50],
        periods=periods,
        start=start,
        end=end,
        charts=_charts(
            period, ctx["label"], date.fromisoformat(start), date.fromisoformat(end), availability, inspections
        ),
        availability=availability,
        inspections=inspections,
        backlog=backlog,
        open_statuses=OPEN_STATUSES,
        reports=reports,
        units_by_volume=sorted((period.get("by_unit") or {}).items(), key=lambda kv: -kv[1]),
        kinds=REPORT_KINDS,
        formats=FORMATS,
        plan=plan,
        saved=False,
        error=error,
    )


@router.post("/dashboard/plan")
async def save_plan(web: Web = PlanWriter) -> Response:
    fields = await form_fields(web.request)
    week = fields.get("week") or _periods(datetime.now(LOCAL_TZ).date())["week"]
    try:
        plan = await web.api.call("PUT", f"/api/reports/weekly/{week}/plan", json={"plan": fields.get("plan", "")})
    except ApiError as exc:  # an empty plan: keep what was typed (nothing), say why
        plan = {"week": week, "plan": fields.get("plan", ""), "updated_by": None, "updated_at": None}
        return web.render("fragments/weekly_plan.html", status_code=422, plan=plan, saved=False, error=exc.detail)
    return web.render("fragments/weekly_plan.html", plan=plan, saved=True, error=None)


@router.get("/reports/{kind}")
async def download(kind: str, web: Web = Overseer, format: str = "xlsx") -> Response:
    if kind not in REPORT_KINDS or format not in FORMATS:
        return Response(status_code=404)
    params = {name: web.request.query_params.get(name) for name in REPORT_KINDS[kind]}
    path = REPORT_PATHS.get(kind, f"/api/reports/{kind}")
    answer = await web.api.raw("GET", path, params={**{k: v for k, v in params.items() if v}, "format": format})
    if answer.status_code >= 400:
        raise web.api.error_of(answer)  # the error page, in the user's language
    return as_download(answer)
