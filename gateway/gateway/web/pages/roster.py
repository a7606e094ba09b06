"""The dispatcher's roster card on the board: staff a duty post day by day for a span of dates (the API
takes the people in turn and refuses the lot on any overlap), and the shifts of the next two weeks, which
the duty cards and the weekly report's attendance are measured against."""

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import LOCAL_TZ, Web, role_guard
from gateway.web.pages.forms import form_fields

router = APIRouter(prefix="/ui/dispatch/roster", include_in_schema=False)
Dispatcher = role_guard("dispatcher", "admin")
DUTY_ROLES = ("hotline_operator", "engineer", "dispatcher")


def _first_duty_role(person: dict[str, Any]) -> str:
    """The group a person is listed under (once, though they may hold several duty roles)."""
    return next(r for r in DUTY_ROLES if r in person["roles"])


async def _card(web: Web, **extra: Any) -> dict[str, Any]:
    today = datetime.now(LOCAL_TZ).date()
    next_monday = today + timedelta(days=7 - today.weekday())
    start = datetime.combine(today, datetime.min.time(), LOCAL_TZ)
    # Engineers, hotline operators (the 7×24 hotline post) and dispatchers: whoever takes duty shifts.
    people = await web.api.get("/api/dispatch/duty/people")
    posts = await web.api.get("/api/dispatch/duty/posts")
    shifts = await web.api.get(
        "/api/dispatch/duty/shifts", **{"from": start.isoformat(), "to": (start + timedelta(days=14)).isoformat()}
    )
    return {
        "posts": posts,
        "post_names": {p["id"]: p["name"] for p in posts},
        "groups": [
            (role, [p for p in people if role in p["roles"] and _first_duty_role(p) == role]) for role in DUTY_ROLES
        ],
        "names": {p["user_id"]: p["display_name"] for p in people},
        "shifts": shifts,
        "values": {"from": next_monday.isoformat(), "to": (next_monday + timedelta(days=6)).isoformat()},
        "created": [],
        "error": None,
        **extra,
    }


@router.get("")
async def roster_card(web: Web = Dispatcher) -> Response:
    return web.render("fragments/roster.html", **await _card(web))


@router.post("")
async def generate(web: Web = Dispatcher) -> Response:
    fields = await form_fields(web.request)
    people = [str(p) for p in (await web.request.form()).getlist("user_ids")]
    try:
        created = await web.api.post(
            f"/api/dispatch/duty/posts/{fields.get('post_id', '')}/roster",
            {"user_ids": people, "from": fields.get("from"), "to": fields.get("to")},
        )
    except ApiError as exc:  # an overlap, no one chosen, a span too long: the form keeps its choices
        card = await _card(web, error=exc.detail)
        card["values"] = {**fields, "user_ids": people}
        return web.render("fragments/roster.html", status_code=422, **card)
    return web.render("fragments/roster.html", **await _card(web, created=created))
