"""The equipment ledger (`/ui/assets`): filters as a GET query (a view is a link), numbered pages swapped in by
htmx, the ledger as XLSX, and the bureau's spreadsheet imported (keepers only): a refused file comes back with
each bad row and field named, and nothing of it imported (the assets service checks every row first)."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from gateway.web.api_client import ApiError, as_download
from gateway.web.context import Web, role_guard
from gateway.web.i18n import N_
from gateway.web.pages.forms import form_files
from opsdesk_shared.contracts.vocabulary import AssetClass, AssetStatus, Criticality

router = APIRouter(include_in_schema=False)
Readers = role_guard("dispatcher", "admin", "supervisor", "project_manager", "engineer", "hotline_operator")
KEEPERS = ("dispatcher", "admin")
PAGE_SIZE = 25
FILTERS = ("q", "asset_class", "status", "criticality", "unit_id", "security_zone", "owning_system", "site")
# A refused import names fields as the API does; the page shows the bureau's column titles (the assets service's
# spreadsheet columns).
FIELD_TITLES = {
    "tag": N_("资产编号"),
    "asset_class": N_("设备类别"),
    "name": N_("设备名称"),
    "security_zone": N_("安全分区"),
    "owning_system": N_("所属系统"),
    "unit_code": N_("单位编码"),
    "site": N_("地点"),
    "room": N_("机房"),
    "rack": N_("机柜"),
    "maker": N_("厂商"),
    "model": N_("型号"),
    "serial_number": N_("序列号"),
    "commissioned_on": N_("启用日期"),
    "warranty_until": N_("保修截止日期"),
    "criticality": N_("重要程度"),
    "status": N_("状态"),
    "custodian": N_("责任人"),
    "notes": N_("备注"),
    "approval_ref": N_("外出审批编号"),
}
# The fault analysis's periods (故障分析), in days; the first is the default.
FAULT_PERIODS = (90, 30, 365)
OPTIONS = {"asset_class": tuple(AssetClass), "status": tuple(AssetStatus), "criticality": tuple(Criticality)}


def chosen(params: Any) -> dict[str, str]:
    return {name: params.get(name, "").strip() for name in FILTERS if params.get(name, "").strip()}


async def _listing(web: Web, filters: dict[str, str], page: int) -> dict[str, Any]:
    error = None
    try:
        listing = await web.api.get("/api/assets", **filters, page=page, limit=PAGE_SIZE)
    except ApiError as exc:  # a filter the API refused: say which, show nothing rather than everything
        error, listing = exc.detail, {"items": [], "total": 0}
    query = urlencode(filters)
    return {
        "assets": listing["items"],
        "total": listing["total"],
        "page": page,
        "pages": max(1, -(-listing["total"] // PAGE_SIZE)),
        "filters": filters,
        "query": query,
        "page_link": lambda n: urlencode({**filters, "page": n}),
        "list_error": error,
    }


async def _faults(web: Web, filters: dict[str, str]) -> dict[str, Any]:
    """Faults per class and the assets that fail most over the chosen period, at the filtered site if any."""
    chosen_days = web.request.query_params.get("fault_days", "")
    days = int(chosen_days) if chosen_days.isdigit() and int(chosen_days) in FAULT_PERIODS else FAULT_PERIODS[0]
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    analysis = await web.api.get("/api/assets/faults", since=since, site=filters.get("site"), limit=10)
    most = max((c["faults"] for c in analysis["per_class"]), default=0)
    return {"faults": analysis, "fault_days": days, "fault_periods": sorted(FAULT_PERIODS), "most_faults": most}


async def _render(web: Web, *, page: int = 1, status_code: int = 200, **extra: Any) -> Response:
    filters = chosen(web.request.query_params)
    listing = await _listing(web, filters, page)
    if web.request.headers.get("hx-request") and web.request.method == "GET":
        return web.render("fragments/asset_rows.html", **listing)
    units = sorted(await web.api.get("/api/admin/units"), key=lambda u: [str(p) for p in u["path"]])
    return web.render(
        "assets.html",
        status_code=status_code,
        units=units,
        options=OPTIONS,
        may_keep=web.session is not None and web.session.has_any(*KEEPERS),
        field_titles=FIELD_TITLES,
        **await _faults(web, filters),
        **listing,
        **extra,
    )


@router.get("/ui/assets")
async def ledger(web: Web = Readers, page: int = 1) -> Response:
    return await _render(web, page=max(1, page))


@router.get("/ui/assets-export")
async def export(web: Web = Readers) -> Response:
    answer = await web.api.raw("GET", "/api/assets/export", params=chosen(web.request.query_params))
    if answer.status_code >= 400:
        return web.render("error.html", status_code=answer.status_code, message=answer.json().get("detail", ""))
    return as_download(answer)


@router.get("/ui/assets/import")
async def after_import(web: Web = Readers) -> Response:
    """Where the browser stays after an import: a reload or a language switch goes back to the ledger."""
    return RedirectResponse("/ui/assets", status_code=303)


@router.post("/ui/assets/import")
async def import_ledger(web: Web = role_guard(*KEEPERS)) -> Response:
    uploads = await form_files(web.request, "file")
    if not uploads:
        return await _render(web, status_code=422, import_error=web._("请选择要导入的 XLSX 或 CSV 文件"))
    upload = uploads[0]
    try:
        result = await web.api.call(
            "POST",
            "/api/assets/import",
            files={"file": (upload.filename, await upload.read(), upload.content_type or "application/octet-stream")},
        )
    except ApiError as exc:
        return await _render(
            web,
            status_code=exc.status,
            import_error=exc.detail,
            import_problems=exc.problem.get("errors") or [],
            import_file=upload.filename,
        )
    return await _render(web, import_result=result, import_file=upload.filename)
