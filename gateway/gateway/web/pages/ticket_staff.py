"""Staff's corrections on a ticket's page: reclassifying it (unit, category, kind of work, priority with a
reason, title, asset). Putting it on hold and taking it off go through the ticket's generic actions
(`pending`, `resume` in pages/tickets.py); their forms sit beside this one (fragments/ticket_staff_tools.html)."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import WebPage
from gateway.web.pages.forms import form_fields
from gateway.web.pages.tickets import _ticket_view

router = APIRouter(include_in_schema=False)

RECLASSIFIABLE = ("unit_id", "category", "subcategory", "priority", "title", "asset_tag")
# Emptied in the form means "none" for these; the others always hold a value.
CLEARABLE = frozenset({"subcategory", "asset_tag"})


def changed_fields(ticket: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """Only what the form changes: the form shows every field, the API wants only the corrections (and
    refuses a request that changes nothing)."""
    body: dict[str, Any] = {}
    for name in RECLASSIFIABLE:
        if name not in fields:
            continue
        typed = fields[name].strip()
        current = ticket.get(name) or ""
        if typed == current:
            continue
        if typed or name in CLEARABLE:
            body[name] = typed or None
    if "priority" in body:
        body["priority_reason"] = fields.get("priority_reason", "").strip() or None
    return body


@router.post("/ui/tickets/{ticket_id}/reclassify")
async def reclassify(ticket_id: str, web: WebPage) -> Response:
    fields = await form_fields(web.request)
    ticket = await web.api.get(f"/api/tickets/{ticket_id}")
    error, errors = None, {}
    try:
        await web.api.post(f"/api/tickets/{ticket_id}/reclassify", changed_fields(ticket, fields))
    except ApiError as exc:
        error, errors = exc.detail, exc.field_errors()
    view = await _ticket_view(web, ticket_id)
    # Said once: beside the field it names when the form has that field, else above the form. The panel's
    # own message area (for its other actions) stays empty.
    shown_beside = any(name in RECLASSIFIABLE or name == "priority_reason" for name in errors)
    view.update(
        action="reclassify",
        errors=errors,
        values=fields if error else {},
        reclassify_failed=error is not None,
        reclassify_error=None if shown_beside else error,
    )
    return web.render("fragments/ticket_panel.html", status_code=422 if error else 200, **view)
