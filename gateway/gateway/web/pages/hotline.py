"""The hotline console: the screen pop when the phone rings, the quick ticket form with duplicate hints,
the call's outcome, and resolving a question on the phone."""

from datetime import UTC, datetime
from typing import Any

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


async def _recent_calls(web: Web) -> list[dict[str, object]]:
    return list(await web.api.get("/api/calls", limit=10))


async def _recent_tickets(web: Web) -> list[dict[str, object]]:
    """The hotline's own tickets only: web tickets are the portal's."""
    return list((await web.api.get("/api/tickets", limit=10, channel="hotline"))["items"])


@router.get("")
async def console(web: Web = Operator, pops: str = "") -> Response:
    # Back from the lock screen: the calls that rang while it was locked, the newest as the screen pop.
    rang = await _calls_by_id(web, [p for p in pops.split(",") if p][-20:])
    pop_card = await _card_of(web, rang[-1]) if rang else None
    return web.render(
        "hotline.html",
        units=await units(web),
        calls=await _recent_calls(web),
        tickets=await _recent_tickets(web),
        outcomes=OUTCOMES,
        values={},
        errors={},
        pop_card=pop_card,
        rang_while_locked=len(rang),
    )


async def _calls_by_id(web: Web, ids: list[str]) -> list[dict[str, Any]]:
    """The calls among the recent ones with these ids, oldest first (the call log has no lookup by id)."""
    if not ids:
        return []
    recent = await web.api.get("/api/calls", limit=200)
    return sorted((c for c in recent if c["id"] in ids), key=lambda c: c["started_at"])


async def _card_of(web: Web, call: dict[str, Any]) -> str:
    pop = {"call": call["id"], "call_id": call["cti_call_id"], "caller_phone": call["caller_phone"]}
    return await caller_card(web, pop)


@router.get("/pop")
async def pop_of_call(web: Web = Operator, call: str = "") -> Response:
    """The screen pop of one call, for a console whose stream counted it while it might have been locked."""
    rang = await _calls_by_id(web, [call])
    if not rang:
        return Response(status_code=204)
    return Response(await _card_of(web, rang[-1]), media_type="text/html")


@router.get("/calls")
async def recent_calls(web: Web = Operator) -> Response:
    """The "recent calls" rows, re-read on every logged call (live) and after the operator's own."""
    return web.render("fragments/call_rows.html", calls=await _recent_calls(web))


@router.get("/tickets")
async def recent_tickets(web: Web = Operator) -> Response:
    return web.render("fragments/ticket_rows.html", tickets=await _recent_tickets(web))


@router.post("/tickets/{ticket_id}/resolve")
async def resolve_on_the_phone(ticket_id: str, web: Web = Operator) -> Response:
    """Solved while the caller is still on the line: the ticket is resolved and the quick form comes back
    empty for the next caller, the outcome shown above it (not the ticket's panel, whose clocks would go stale)."""
    fields = await form_fields(web.request)
    try:
        ticket = await web.api.post(
            f"/api/tickets/{ticket_id}/resolve",
            {"resolution_code": "answered_by_phone", "summary": fields.get("summary", "")},
        )
    except ApiError as exc:
        ticket = await web.api.get(f"/api/tickets/{ticket_id}")
        return web.render(
            "fragments/ticket_created.html",
            status_code=422,
            ticket=ticket,
            failed=[],
            resolve_error=exc.detail,
            resolve_errors=exc.field_errors(),
            summary=fields.get("summary", ""),
        )
    response = web.render(
        "fragments/hotline_next_call.html", resolved=ticket, units=await units(web), values={}, errors={}, error=None
    )
    response.headers["HX-Trigger"] = "tickets-changed"
    return response


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
    response = web.render("fragments/call_form.html", outcomes=OUTCOMES, values={}, errors={}, logged=call)
    response.headers["HX-Trigger"] = "calls-changed"
    return response
