"""The dispatcher board: the queue by SLA urgency with live countdowns, the engineers with duty, skills
(kept here) and load, assigning from ranked suggestions, and the open escalations: read from dispatch on
render and on every live nudge (so a reload or a sign-in after a breach still shows it), each acknowledged
by a dispatcher."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard
from gateway.web.pages.forms import body_of, form_fields
from opsdesk_shared.contracts.vocabulary import Skill

router = APIRouter(prefix="/ui/dispatch", include_in_schema=False)
Dispatcher = role_guard("dispatcher", "admin")
# The skills dispatch matches tickets' kinds of work to (dispatch/workorders/queue.py SKILLS_FOR).
SKILLS = tuple(Skill)


async def _board(web: Web) -> dict[str, Any]:
    queue = await web.api.get("/api/dispatch/queue", include_assigned="true", limit=200)
    engineers = await web.api.get("/api/engineers")
    names = {e["user_id"]: e["display_name"] for e in engineers}
    units = {u["id"]: u["name"] for u in await web.api.get("/api/admin/units")}
    return {
        **await _escalations(web),
        "queue": queue,
        "engineers": engineers,
        "engineer_names": names,
        "unit_names": units,
        "skills": SKILLS,
        "error": None,
    }


async def _escalations(web: Web) -> dict[str, Any]:
    assert web.session is not None
    # Admins open the board too, but acknowledging is a dispatcher's record (dispatch refuses anyone else).
    return {
        "escalations": await web.api.get("/api/sla/escalations", limit=100),
        "can_acknowledge": web.session.has_any("dispatcher"),
    }


@router.get("/escalations")
async def escalation_rows(web: Web = Dispatcher) -> Response:
    return web.render("fragments/escalations.html", **await _escalations(web))


@router.post("/escalations/{escalation_id}/acknowledge")
async def acknowledge(escalation_id: str, web: Web = Dispatcher) -> Response:
    try:
        item = await web.api.post(f"/api/sla/escalations/{escalation_id}/acknowledge")
    except ApiError:
        # Gone or refused: the panel re-reads the list instead, which shows what is really open.
        response = web.render("fragments/escalations.html", **await _escalations(web))
        response.headers.update({"HX-Retarget": "#escalations", "HX-Reswap": "innerHTML"})
        return response
    return web.render("fragments/escalation.html", e=item, can_acknowledge=False)


@router.get("")
async def board(web: Web = Dispatcher) -> Response:
    return web.render("dispatch.html", **await _board(web))


@router.get("/queue")
async def queue_rows(web: Web = Dispatcher) -> Response:
    return web.render("fragments/queue.html", **await _board(web))


@router.get("/engineers")
async def engineer_rows(web: Web = Dispatcher) -> Response:
    # Re-read on every queue nudge: only the engineers, not the queue and units the board also shows.
    return web.render(
        "fragments/engineers.html", engineers=await web.api.get("/api/engineers"), skills=SKILLS, error=None
    )


@router.post("/engineers/{user_id}/skills")
async def set_skills(user_id: str, web: Web = Dispatcher) -> Response:
    form = await web.request.form()
    error = None
    try:
        await web.api.call(
            "PATCH", f"/api/engineers/{user_id}", json={"skills": [str(s) for s in form.getlist("skills")]}
        )
    except ApiError as exc:
        error = exc.detail
    return web.render(
        "fragments/engineers.html",
        status_code=422 if error else 200,
        engineers=await web.api.get("/api/engineers"),
        skills=SKILLS,
        error=error,
    )


@router.get("/suggestions/{ticket_id}")
async def suggestions(ticket_id: str, web: Web = Dispatcher, work_order_id: str | None = None) -> Response:
    ranked = await web.api.get("/api/dispatch/suggestions", ticket_id=ticket_id)
    return web.render(
        "fragments/suggestions.html",
        ticket_id=ticket_id,
        work_order_id=work_order_id or "",
        suggestions=ranked,
        error=None,
    )


@router.post("/assign")
async def assign(web: Web = Dispatcher) -> Response:
    fields = await form_fields(web.request)
    try:
        if fields.get("work_order_id"):
            await web.api.post(
                f"/api/work-orders/{fields['work_order_id']}/reassign", body_of(fields, "engineer_id", "reason")
            )
        else:
            await web.api.post("/api/work-orders", body_of(fields, "ticket_id", "engineer_id", "note"))
    except ApiError as exc:
        ranked = await web.api.get("/api/dispatch/suggestions", ticket_id=fields.get("ticket_id", ""))
        return web.render(
            "fragments/suggestions.html",
            status_code=422,
            ticket_id=fields.get("ticket_id", ""),
            work_order_id=fields.get("work_order_id", ""),
            suggestions=ranked,
            error=exc.detail,
        )
    return web.render("fragments/queue.html", **await _board(web))
