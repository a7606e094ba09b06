"""Spare parts (`/ui/spares`, 备品备件): the stock of every part in every store with the parts below their
minimum marked, goods received and parts issued to a work order (by its ticket number), a new part or store,
the reconciliations that found parts used but never issued, and the stock report to download. The assets
service decides who may do what; the page only leaves out the forms a user cannot use."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from gateway.web.api_client import ApiError, as_download
from gateway.web.context import Web, role_guard
from gateway.web.i18n import N_
from gateway.web.pages.forms import form_fields

router = APIRouter(prefix="/ui/spares", include_in_schema=False)
PROJECT_MANAGER = "project_manager"  # the gateway role for the vendor's project manager (乙方项目经理)
KEEPERS = ("dispatcher", "admin", PROJECT_MANAGER)
ISSUERS = (*KEEPERS, "engineer")
REPORT_READERS = (*KEEPERS, "supervisor")
Readers = role_guard(*ISSUERS, "supervisor")
OUTCOMES = {
    "matched": N_("一致"),
    "returned": N_("未用退库"),
    "used_not_issued": N_("使用但未领用"),
    "unknown_part": N_("目录中无此备件"),
    "uncatalogued": N_("非目录配件"),
}
# Each form: the API it posts to and the fields its body takes (numbers as numbers).
FORMS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "receipt": ("/api/spares/receipts", ("part_number", "store_id", "quantity", "reference"), KEEPERS),
    "issue": ("/api/spares/issues", ("part_number", "store_id", "quantity", "ticket_number", "note"), ISSUERS),
    "part": ("/api/spares/parts", ("part_number", "name", "unit_cost", "minimum_stock"), KEEPERS),
    "store": ("/api/spares/stores", ("code", "name", "site"), KEEPERS),
}
NUMBERS = ("quantity", "minimum_stock")
DONE = {
    "receipt": N_("已入库"),
    "issue": N_("已领用"),
    "part": N_("已添加备件"),
    "store": N_("已添加库房"),
}


def _may(web: Web, roles: tuple[str, ...]) -> bool:
    return web.session is not None and web.session.has_any(*roles)


async def _stock_view(web: Web) -> dict[str, Any]:
    parts = await web.api.get("/api/spares/parts")
    stock = await web.api.get("/api/spares/stock")
    return {
        "parts": parts,
        "low_parts": [p for p in parts if p["low"]],
        "stock": stock + _not_in_any_store(parts, stock),
        "may_report": _may(web, REPORT_READERS),
    }


async def _render(web: Web, *, status_code: int = 200, **extra: Any) -> Response:
    view = await _stock_view(web)
    stores = await web.api.get("/api/spares/stores")
    flagged = await web.api.get("/api/spares/reconciliations", flagged="true", limit=50)
    return web.render(
        "spares.html",
        status_code=status_code,
        **view,
        part_options=[(p["part_number"], f"{p['part_number']} {p['name']}") for p in view["parts"]],
        store_options=[(s["id"], s["name"]) for s in stores],
        flagged=flagged,
        outcomes=OUTCOMES,
        may_keep=_may(web, KEEPERS),
        may_issue=_may(web, ISSUERS),
        form=extra.pop("form", None),
        values=extra.pop("values", {}),
        errors=extra.pop("errors", {}),
        **extra,
    )


def _not_in_any_store(parts: list[dict[str, Any]], stock: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Catalogue parts never received anywhere: listed too (with nothing on hand), so none is forgotten."""
    stocked = {s["part_id"] for s in stock}
    return [
        {
            "part_id": p["id"],
            "part_number": p["part_number"],
            "name": p["name"],
            "store_code": "",
            "store_name": "—",
            "on_hand": 0,
            "part_on_hand": 0,
            "minimum_stock": p["minimum_stock"],
            "low": p["low"],
        }
        for p in parts
        if p["id"] not in stocked
    ]


@router.get("")
async def spares(web: Web = Readers) -> Response:
    return await _render(web)


@router.get("/stock")
async def stock_fragment(web: Web = Readers) -> Response:
    """The low-stock banner and the stock list, re-read live when a part goes below its minimum."""
    return web.render("fragments/spares_stock.html", **await _stock_view(web))


@router.get("/report")
async def report(web: Web = role_guard(*REPORT_READERS), format: str = "xlsx") -> Response:
    if format not in ("xlsx", "csv", "pdf"):
        return Response(status_code=404)
    params = {k: v for k, v in web.request.query_params.items() if k in ("from", "to")}
    answer = await web.api.raw("GET", "/api/spares/report", params={**params, "format": format})
    if answer.status_code >= 400:
        return web.render("error.html", status_code=answer.status_code, message=web.api.error_of(answer).detail)
    return as_download(answer)


@router.get("/{form}")
async def after_submit(form: str, web: Web = Readers) -> Response:
    """Where the browser stays after a form: a reload or a language switch goes back to the page."""
    return RedirectResponse("/ui/spares", status_code=303)


@router.post("/{form}")
async def submit(form: str, web: Web = Readers) -> Response:
    if form not in FORMS:
        return Response(status_code=404)
    path, names, roles = FORMS[form]
    fields = await form_fields(web.request)
    body: dict[str, Any] = {}
    for name in names:
        value = (fields.get(name) or "").strip()
        if value:
            body[name] = int(value) if name in NUMBERS and value.isdigit() else value
    if not _may(web, roles):
        return await _render(web, status_code=403, form=form, values=fields, error=web._("无权执行此操作"))
    try:
        done = await web.api.call("POST", path, json=body)
    except ApiError as exc:
        status = 422 if exc.status in (409, 422) else exc.status
        return await _render(
            web, status_code=status, form=form, values=fields, errors=exc.field_errors(), error=exc.detail
        )
    return await _render(web, form=form, notice=web._(DONE[form]), done=done)
