"""The work order's record on the ticket page, for staff: each work order's engineer and steps (a decline's
reason included), parts, costs and who bears them, the work log, the custody of replaced storage media, the
removal approvals (decided here by a supervisor or admin, as the API allows) and the photos and the
requester's signature the engineer attached. Its own fragment, loaded by the ticket panel."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard
from gateway.web.pages.forms import form_fields

router = APIRouter(prefix="/ui/tickets/{ticket_id}/work-record", include_in_schema=False)
Staff = role_guard("dispatcher", "supervisor", "project_manager", "admin", "hotline_operator")
Approver = role_guard("supervisor", "admin")


@router.get("")
async def work_record(ticket_id: str, web: Web = Staff) -> Response:
    return web.render("fragments/work_record.html", **await _view(web, ticket_id))


@router.post("/{order_id}/removals/{removal_id}")
async def decide_removal(ticket_id: str, order_id: str, removal_id: str, web: Web = Approver) -> Response:
    fields = await form_fields(web.request)
    error = None
    try:
        body = {"approve": fields.get("decision") == "approve", "note": fields.get("note") or None}
        await web.api.post(f"/api/work-orders/{order_id}/removals/{removal_id}/decision", body)
    except ApiError as exc:
        error = exc.detail
    view = await _view(web, ticket_id)
    return web.render("fragments/work_record.html", status_code=422 if error else 200, error=error, **view)


async def _view(web: Web, ticket_id: str) -> dict[str, Any]:
    ticket = await web.api.get(f"/api/tickets/{ticket_id}")
    listed = await web.api.get("/api/work-orders", ticket_id=ticket_id, limit=20)
    orders = [await web.api.get(f"/api/work-orders/{o['id']}") for o in listed["items"]]
    roles = set(web.session.roles) if web.session else set()
    return {"ticket": ticket, "orders": orders, "may_approve": bool(roles & {"supervisor", "admin"}), "error": None}
