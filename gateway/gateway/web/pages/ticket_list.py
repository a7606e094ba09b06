"""The staff's ticket list (`/ui/tickets`): filters as a GET query (so a view is a link: bookmarks, the
dashboard's numbers and saved views all land on it), sorting by column, numbered pages swapped in by htmx,
the count, saved views per user (kept by the gateway, /api/saved-views) and the view as CSV through intake.
Requesters' names and phones come from the API masked for roles that see them masked."""

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from gateway.web.api_client import ApiError, as_download
from gateway.web.context import LOCAL_TZ, Web, role_guard
from gateway.web.pages.forms import form_fields

router = APIRouter(include_in_schema=False)
Staff = role_guard("hotline_operator", "dispatcher", "supervisor", "project_manager", "admin")
PAGE_SIZE = 25
FILTERS = ("status", "unit_id", "category", "priority", "channel", "sla_state", "engineer", "from", "to", "q")
# "open": what the dashboard counts as the backlog (intake's queries.BACKLOG).
OPEN_STATUSES = ("new", "assigned", "in_progress", "on_site", "reopened", "pending")
STATUSES = ("open", *OPEN_STATUSES[:5], "pending", "resolved", "closed", "cancelled")
CATEGORIES = ("fault", "consultation", "service_request", "complaint")
PRIORITIES = ("P1", "P2", "P3", "P4")
CHANNELS = ("hotline", "web", "api", "sms", "inspection", "monitoring", "visit")
SLA_STATES = ("on_track", "warning", "breached")
COLUMNS = (("number", "编号"), ("priority", "优先级"), ("status", "状态"), ("sla_state", "时限"))
SORTABLE = {"number", "priority", "status", "sla_state", "created_at", "updated_at"}


def chosen(params: Any) -> dict[str, str]:
    """The filters in the page's query, blanks left out."""
    return {name: params.get(name, "").strip() for name in FILTERS if params.get(name, "").strip()}


def _day_start(value: str, field: str) -> str:
    """A local calendar day's first instant, as the API's datetime (the form's dates are Asia/Shanghai)."""
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(
            422, {"detail": f"{field}: not a date", "field": field, "code": "validation.not_a_date"}
        ) from exc
    return datetime.combine(day, time(), LOCAL_TZ).isoformat()


def api_params(filters: dict[str, str]) -> dict[str, Any]:
    """The page's filters as intake's list parameters: `open` becomes the open statuses, and the `to` day
    is included whole."""
    params: dict[str, Any] = {k: v for k, v in filters.items() if k not in ("status", "from", "to")}
    if filters.get("status"):
        params["status"] = list(OPEN_STATUSES) if filters["status"] == "open" else filters["status"]
    if filters.get("from"):
        params["from"] = _day_start(filters["from"], "from")
    if filters.get("to"):
        params["to"] = (datetime.fromisoformat(_day_start(filters["to"], "to")) + timedelta(days=1)).isoformat()
    return params


def _query(filters: dict[str, str], **extra: str | int) -> str:
    return urlencode({**filters, **{k: v for k, v in extra.items() if v}})


async def _page(web: Web, filters: dict[str, str], sort: str, page: int) -> dict[str, Any]:
    error = None
    try:
        listing = await web.api.get("/api/tickets", **api_params(filters), sort=sort, page=page, limit=PAGE_SIZE)
    except ApiError as exc:  # a filter the API refused: say which, show nothing rather than everything
        error, listing = exc.detail, {"items": [], "total": 0, "next_page": None}
    return {
        "tickets": listing["items"],
        "total": listing["total"],
        "page": page,
        "pages": max(1, -(-listing["total"] // PAGE_SIZE)),
        "sort": sort,
        "filters": filters,
        "query": _query(filters),
        "query_sorted": _query(filters, sort=sort),
        "sort_link": lambda key: _query(filters, sort=key if sort != key else f"-{key}"),
        "page_link": lambda n: _query(filters, sort=sort, page=n),
        "columns": COLUMNS,
        "list_error": error,
    }


@router.get("/ui/tickets")
async def ticket_list(web: Web = Staff, sort: str = "-created_at", page: int = 1) -> Response:
    filters = chosen(web.request.query_params)
    sort = sort if sort.lstrip("-") in SORTABLE else "-created_at"
    listing = await _page(web, filters, sort, max(1, page))
    if web.request.headers.get("hx-request"):
        return web.render("fragments/ticket_list_rows.html", **listing)
    units = sorted(await web.api.get("/api/admin/units"), key=lambda u: [str(p) for p in u["path"]])
    try:
        engineers = [e["display_name"] for e in await web.api.get("/api/engineers")]
    except ApiError:
        engineers = []
    return web.render(
        "ticket_list.html",
        units=units,
        engineers=sorted(set(engineers)),
        views=await web.api.get("/api/saved-views", page="tickets"),
        options={
            "status": STATUSES,
            "category": CATEGORIES,
            "priority": PRIORITIES,
            "channel": CHANNELS,
            "sla_state": SLA_STATES,
        },
        **listing,
    )


@router.get("/ui/tickets-export")
async def export(web: Web = Staff, sort: str = "-created_at") -> Response:
    filters = chosen(web.request.query_params)
    sort = sort if sort.lstrip("-") in SORTABLE else "-created_at"
    answer = await web.api.raw("GET", "/api/tickets/export", params={**api_params(filters), "sort": sort})
    if answer.status_code >= 400:
        raise web.api.error_of(answer)  # the error page, in the user's language
    return as_download(answer)


@router.post("/ui/ticket-views")
async def save_view(web: Web = Staff) -> Response:
    fields = await form_fields(web.request)
    saved = await web.api.post(
        "/api/saved-views", {"page": "tickets", "name": fields.get("name", ""), "query": fields.get("query", "")}
    )
    # The API's normalised query, not the form's text: the page goes back to exactly the view it kept.
    return RedirectResponse(f"/ui/tickets?{saved['query']}", status_code=303)


@router.post("/ui/ticket-views/{view_id}/delete")
async def delete_view(view_id: str, web: Web = Staff) -> Response:
    await web.api.call("DELETE", f"/api/saved-views/{view_id}")
    return RedirectResponse("/ui/tickets", status_code=303)
