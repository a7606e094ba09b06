"""The engineer's phone view of today's inspection rounds (巡检): the rounds of the day, then one round's
checklist asset by asset (a yes/no per check, a number per reading with its normal range shown, a note), and
completing the round. A refused result (a reading that is not a number, an item left out) comes back beside
its item, what was typed kept."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard
from gateway.web.i18n import N_
from gateway.web.pages.forms import form_fields

router = APIRouter(prefix="/ui/inspections", include_in_schema=False)
Engineer = role_guard("engineer")
ROUND_STATUS = {"open": N_("待巡检"), "completed": N_("已完成"), "missed": N_("已漏检")}


@router.get("")
async def todays_rounds(web: Web = Engineer) -> Response:
    rounds = await web.api.get("/api/inspections/rounds")
    return web.render("inspections.html", rounds=rounds, round_status=ROUND_STATUS)


async def _round_view(web: Web, round_id: str, **extra: Any) -> dict[str, Any]:
    round_ = await web.api.get(f"/api/inspections/rounds/{round_id}")
    return {"round": round_, "round_status": ROUND_STATUS, "stop_id": None, "errors": {}, "values": {}, **extra}


@router.get("/{round_id}")
async def round_page(round_id: str, web: Web = Engineer) -> Response:
    return web.render("inspection_round.html", **await _round_view(web, round_id))


def results_of(fields: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    """The form's answers as the API takes them; what is not a number is passed on for the API to name."""
    results: dict[str, Any] = {}
    for item in items:
        raw = (fields.get(f"r.{item['key']}") or "").strip()
        if not raw:
            continue
        if item["kind"] == "check":
            results[item["key"]] = raw == "yes" if raw in ("yes", "no") else raw
        else:
            try:
                results[item["key"]] = float(raw)
            except ValueError:
                results[item["key"]] = raw
    return results


@router.post("/{round_id}/stops/{stop_id}")
async def check_stop(round_id: str, stop_id: str, web: Web = Engineer) -> Response:
    fields = await form_fields(web.request)
    round_ = await web.api.get(f"/api/inspections/rounds/{round_id}")
    stop = next((s for s in round_["stops"] if s["id"] == stop_id), None)
    if stop is None:
        return Response(status_code=404)
    body = {"results": results_of(fields, stop["items"]), "note": (fields.get("note") or "").strip() or None}
    try:
        await web.api.call("PUT", f"/api/inspections/rounds/{round_id}/stops/{stop_id}", json=body)
    except ApiError as exc:
        errors = {path.removeprefix("results."): message for path, message in exc.field_paths().items()}
        view = await _round_view(web, round_id, stop_id=stop_id, error=exc.detail, errors=errors, values=fields)
        return web.render("inspection_round.html", status_code=_shown(exc), **view)
    return web.render("inspection_round.html", **await _round_view(web, round_id, saved=stop_id))


@router.post("/{round_id}/complete")
async def complete(round_id: str, web: Web = Engineer) -> Response:
    try:
        await web.api.post(f"/api/inspections/rounds/{round_id}/complete")
    except ApiError as exc:
        view = await _round_view(web, round_id, error=exc.detail)
        return web.render("inspection_round.html", status_code=_shown(exc), **view)
    return web.render("inspection_round.html", **await _round_view(web, round_id, completed=True))


def _shown(exc: ApiError) -> int:
    """A refused form comes back as 422 (htmx swaps it in); any other refusal (a round completed or missed
    meanwhile) is shown on the page as it now stands."""
    return 422 if exc.status == 422 else 200
