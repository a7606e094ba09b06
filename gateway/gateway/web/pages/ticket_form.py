"""The ticket form's helpers (hotline console and portal): the unit type-ahead over the unit tree, and the
priority that impact × urgency give, read live from intake (the one place the matrix lives)."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard

router = APIRouter(include_in_schema=False)
Filer = role_guard("requester", "hotline_operator")
LEVELS = ("high", "medium", "low")
MAX_CHOICES = 20  # a type-ahead, not a directory: more than this asks for more letters


def unit_label(unit: dict[str, Any]) -> str:
    """What the picker's box shows once a unit is chosen: its name and its code."""
    return f"{unit['name']} · {unit['code']}"


def unit_choices(
    units: list[dict[str, Any]], query: str, within: str | None = None, limit: int = MAX_CHOICES
) -> tuple[list[dict[str, Any]], int]:
    """Units whose name or code contains `query` (any case), each with its path from the top
    (市局 › 朝阳分局 › 望京派出所); `within` keeps a unit's subtree only. Exact codes first, then names that
    start with the query, then the rest, each in path order. Returns the first `limit` and how many matched."""
    by_id = {u["id"]: u for u in units}
    wanted = query.strip().casefold()
    found = []
    for unit in units:
        if within and within not in unit["path"]:
            continue
        name, code = unit["name"].casefold(), unit["code"].casefold()
        if wanted and wanted not in name and wanted not in code:
            continue
        path = " › ".join(by_id[i]["name"] for i in unit["path"] if i in by_id)
        rank = 0 if code == wanted else 1 if name.startswith(wanted) else 2
        found.append((rank, path, {**unit, "path_names": path, "label": unit_label(unit)}))
    found.sort(key=lambda row: (row[0], row[1]))
    return [row[2] for row in found[:limit]], len(found)


def requester_scope(web: Web) -> str | None:
    """A requester files within their own unit's subtree (intake refuses anything else); staff anywhere."""
    session = web.session
    if session is None or session.has_any("hotline_operator", "dispatcher", "admin"):
        return None
    return session.unit_id


@router.get("/ui/ticket-form/units")
async def unit_options(web: Web = Filer, unit_q: str = "") -> Response:
    units = list(await web.api.get("/api/admin/units"))
    choices, total = unit_choices(units, unit_q[:100], within=requester_scope(web))
    return web.render("fragments/unit_options.html", choices=choices, more=total - len(choices))


@router.get("/ui/ticket-form/priority")
async def computed_priority(web: Web = Filer, impact: str = "", urgency: str = "") -> Response:
    """The priority the matrix gives, shown beside impact and urgency as they change."""
    level = None
    if impact in LEVELS and urgency in LEVELS:
        try:
            level = (await web.api.get("/api/tickets/priority", impact=impact, urgency=urgency))["priority"]
        except ApiError:
            level = None  # shown as "—": filing still works, intake computes it again
    return web.render("fragments/computed_priority.html", level=level)
