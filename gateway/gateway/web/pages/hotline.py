"""The hotline console: the screen pop when the phone rings, the quick ticket form with duplicate hints,
the call's outcome, and resolving a question on the phone."""

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard
from gateway.web.pages.forms import body_of, form_fields
from gateway.web.pages.live import caller_card
from gateway.web.pages.tickets import units

router = APIRouter(prefix="/ui/hotline", include_in_schema=False)
Operator = role_guard("hotline_operator")
OUTCOMES = ("new_ticket", "follow_up", "consultation_answered", "transferred", "wrong_number", "missed", "other")


@router.get("")
async def console(web: Web = Operator, pops: str = "") -> Response:
    calls = await web.api.get("/api/calls", limit=10)
    tickets = (await web.api.get("/api/tickets", limit=10, channel="hotline"))["items"]
    # Back from the lock screen: the calls that rang while it was locked, the newest as the screen pop.
    rang = await _calls_by_id(web, [p for p in pops.split(",") if p][-20:])
    pop_card = await _card_of(web, rang[-1]) if rang else None
    return web.render(
        "hotline.html",
        units=await units(web),
        calls=calls,
        tickets=tickets,
        outcomes=OUTCOMES,
        values={},
        errors={},
        pop_card=pop_card,
        rang_while_locked=len(rang),
    )


async def _calls_by_id(web: Web, ids: list[str]) -> list[dict]:  # type: ignore[type-arg]
    """The calls among the recent ones with these ids, oldest first (the call log has no lookup by id)."""
    if not ids:
        return []
    recent = await web.api.get("/api/calls", limit=200)
    return sorted((c for c in recent if c["id"] in ids), key=lambda c: c["started_at"])


async def _card_of(web: Web, call: dict) -> str:  # type: ignore[type-arg]
    pop = {"call": call["id"], "call_id": call["cti_call_id"], "caller_phone": call["caller_phone"]}
    return await caller_card(web, pop)


@router.get("/pop")
async def pop_of_call(web: Web = Operator, call: str = "") -> Response:
    """The screen pop of one call, for a console whose stream counted it while it might have been locked."""
    rang = await _calls_by_id(web, [call])
    if not rang:
        return Response(status_code=204)
    return Response(await _card_of(web, rang[-1]), media_type="text/html")


@router.get("/duplicates")
async def duplicates(
    web: Web = Operator, requester_phone: str | None = None, unit_id: str | None = None, asset_tag: str | None = None
) -> Response:
    """Open tickets from the same phone, unit or asset: the caller may be chasing one already filed."""
    hints = []
    if requester_phone or asset_tag or unit_id:
        try:
            hints = await web.api.get(
                "/api/tickets/duplicates", requester_phone=requester_phone, unit_id=unit_id, asset_tag=asset_tag
            )
        except ApiError:
            hints = []  # half-typed phone numbers are refused; no hint until the number is whole
    return web.render("fragments/duplicates.html", hints=hints)


@router.post("/calls")
async def log_call(web: Web = Operator) -> Response:
    fields = await form_fields(web.request)
    body = body_of(fields, "outcome", "notes", "ticket_id")
    try:
        if fields.get("call_id"):
            call = await web.api.call("PATCH", f"/api/calls/{fields['call_id']}", json=body)
        else:
            body.update(caller_phone=fields.get("caller_phone", ""), started_at=datetime.now(UTC).isoformat())
            call = await web.api.post("/api/calls", body)
    except ApiError as exc:
        return web.render(
            "fragments/call_form.html",
            status_code=422,
            outcomes=OUTCOMES,
            values=fields,
            errors=exc.field_errors(),
            error=exc.detail,
        )
    return web.render("fragments/call_form.html", outcomes=OUTCOMES, values={}, errors={}, logged=call)
