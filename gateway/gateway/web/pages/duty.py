"""The duty card on the staff consoles (the hotline, the dispatch board, the engineer's phone): clock in
and out where the work is done, so attendance, the weekly report's first section, is kept as people work
rather than typed in afterwards."""

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard

router = APIRouter(prefix="/ui/duty", include_in_schema=False)
OnDuty = role_guard("hotline_operator", "dispatcher", "engineer")
ACTIONS = ("clock-in", "clock-out")


@router.get("")
async def duty_card(web: Web = OnDuty) -> Response:
    return web.render("fragments/duty.html", duty=await web.api.get("/api/dispatch/duty/me"), error=None)


@router.post("/{action}")
async def clock(action: str, web: Web = OnDuty) -> Response:
    if action not in ACTIONS:
        return Response(status_code=404)
    error = None
    try:
        await web.api.post(f"/api/dispatch/duty/{action}")
    except ApiError as exc:  # clocked in twice from two tabs, or unknown to dispatch yet: say so on the card
        error = exc.detail
    return web.render(
        "fragments/duty.html",
        status_code=422 if error else 200,
        duty=await web.api.get("/api/dispatch/duty/me"),
        error=error,
    )
