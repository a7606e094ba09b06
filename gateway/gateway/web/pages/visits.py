"""User visits (回访) in the web UI: the visits owed and done (the vendor's staff see all, a unit its own),
plans and arranged visits for the vendor's staff, a visit's page with its record form, the hidden risks it
found (each raised as a ticket with one button, its number shown once intake has filed it, or proposed as an
improvement measure with another) and the unit's satisfaction survey."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, WebPage, role_guard
from gateway.web.i18n import N_
from gateway.web.pages.forms import form_fields
from gateway.web.pages.training import ARRANGERS, local_input_to_iso
from opsdesk_shared.auth import Role

router = APIRouter(prefix="/ui/visits", include_in_schema=False)
Arranger = role_guard(*ARRANGERS)
# Who proposes improvement measures (assets' measures/rules.py PROPOSERS): the vendor's engineers, dispatchers
# and project manager (the administrator records visits but proposes no measures).
PROPOSERS = (Role.ENGINEER, Role.DISPATCHER, Role.PROJECT_MANAGER)
Proposer = role_guard(*PROPOSERS)
STANDING = {
    "done": N_("已回访"),
    "cancelled": N_("已取消"),
    "not_yet_due": N_("未到期"),
    "due": N_("待回访"),
    "overdue": N_("已逾期"),
}
PERIODS = {"month": N_("每月"), "quarter": N_("每季度"), "half_year": N_("每半年"), "year": N_("每年")}
UNIT_KINDS = ("sub_bureau", "police_station", "floating_station")
RECORD_FIELDS = ("companions", "contact_name", "contact_phone", "usage", "checked", "environment", "proposals")


def arranges(web: Web) -> bool:
    return web.session is not None and web.session.has_any(*ARRANGERS)


async def _list_view(web: Web, status: str | None = None, **extra: Any) -> dict[str, Any]:
    visits = await web.api.get("/api/visits", status=status)
    plans, units = ([], [])
    if arranges(web):
        plans = await web.api.get("/api/visits/plans")
        units = await web.api.get("/api/admin/units")
    return {"visits": visits, "plans": plans, "units": units, "standing": STANDING, "periods": PERIODS,
            "unit_kinds": UNIT_KINDS, "arranges": arranges(web), "status": status or "", "values": {},
            "errors": {}, "form": "", **extra}  # fmt: skip


@router.get("")
async def visits_page(web: WebPage, status: str | None = None) -> Response:
    return web.render("visits.html", **await _list_view(web, status))


@router.post("/plans")
async def create_plan(web: Web = Arranger) -> Response:
    fields = await form_fields(web.request)
    body = {k: fields[k] for k in ("name", "unit_kind", "root_unit_id", "period", "starts_on") if fields.get(k)}
    try:
        await web.api.post("/api/visits/plans", body)
    except ApiError as exc:
        view = await _list_view(web, error=exc.detail, errors=exc.field_errors(), values=fields, form="plan")
        return web.render("visits.html", status_code=422 if exc.status == 422 else 200, **view)
    return RedirectResponse("/ui/visits", status_code=303)


@router.post("")
async def arrange(web: Web = Arranger) -> Response:
    fields = await form_fields(web.request)
    body = {k: fields[k] for k in ("unit_id", "scheduled_on", "due_by") if fields.get(k)}
    try:
        created = await web.api.post("/api/visits", body)
    except ApiError as exc:
        view = await _list_view(web, error=exc.detail, errors=exc.field_errors(), values=fields, form="visit")
        return web.render("visits.html", status_code=422 if exc.status == 422 else 200, **view)
    return RedirectResponse(f"/ui/visits/{created['id']}", status_code=303)


async def _visit_view(web: Web, visit_id: str, **extra: Any) -> dict[str, Any]:
    visit = await web.api.get(f"/api/visits/{visit_id}")
    proposes = web.session is not None and web.session.has_any(*PROPOSERS)
    return {"v": visit, "standing": STANDING, "arranges": arranges(web), "proposes": proposes, "values": {},
            "errors": {}, **extra}  # fmt: skip


@router.get("/{visit_id}")
async def visit_page(visit_id: str, web: WebPage, ok: str | None = None) -> Response:
    notice = {ok: True} if ok in ("raised", "measured", "surveyed") else {}
    return web.render("visit.html", **await _visit_view(web, visit_id, **notice))


@router.post("/{visit_id}/record")
async def record(visit_id: str, web: Web = Arranger) -> Response:
    fields = await form_fields(web.request)
    body: dict[str, Any] = {k: fields[k] for k in RECORD_FIELDS if fields.get(k)}
    if fields.get("visited_at"):
        body["visited_at"] = local_input_to_iso(fields["visited_at"])
    body["risks"] = [{"description": line.strip()} for line in fields.get("risks", "").splitlines() if line.strip()]
    try:
        await web.api.post(f"/api/visits/{visit_id}/record", body)
    except ApiError as exc:
        view = await _visit_view(web, visit_id, error=exc.detail, errors=exc.field_errors(), values=fields)
        return web.render("visit.html", status_code=422 if exc.status == 422 else 200, **view)
    return RedirectResponse(f"/ui/visits/{visit_id}", status_code=303)


@router.post("/{visit_id}/risks/{risk_id}/ticket")
async def raise_ticket(visit_id: str, risk_id: str, web: Web = Arranger) -> Response:
    try:
        await web.api.post(f"/api/visits/{visit_id}/risks/{risk_id}/ticket")
    except ApiError as exc:
        return web.render("visit.html", **await _visit_view(web, visit_id, error=exc.detail))
    return RedirectResponse(f"/ui/visits/{visit_id}?ok=raised", status_code=303)


@router.post("/{visit_id}/risks/{risk_id}/measure")
async def propose_measure(visit_id: str, risk_id: str, web: Web = Proposer) -> Response:
    try:
        await web.api.post(f"/api/visits/{visit_id}/risks/{risk_id}/measure")
    except ApiError as exc:
        return web.render("visit.html", **await _visit_view(web, visit_id, error=exc.detail))
    return RedirectResponse(f"/ui/visits/{visit_id}?ok=measured", status_code=303)


@router.post("/{visit_id}/survey")
async def survey(visit_id: str, web: WebPage) -> Response:
    fields = await form_fields(web.request)
    raw = fields.get("satisfaction", "")
    body: dict[str, Any] = {"satisfaction": int(raw) if raw.isdigit() else raw}
    if fields.get("comment"):
        body["comment"] = fields["comment"]
    try:
        await web.api.call("PUT", f"/api/visits/{visit_id}/survey", json=body)
    except ApiError as exc:
        return web.render("visit.html", **await _visit_view(web, visit_id, survey_error=exc.detail))
    return RedirectResponse(f"/ui/visits/{visit_id}?ok=surveyed", status_code=303)
