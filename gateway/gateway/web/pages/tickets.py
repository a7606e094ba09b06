"""Tickets for the people who file and follow them: the requester portal (the hotline files through the
same form), a ticket's page with its live status and timeline, and its requester-side actions."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, WebPage, role_guard
from gateway.web.pages.forms import body_of, form_fields, form_files

router = APIRouter(include_in_schema=False)

TICKET_FIELDS = (
    "title",
    "description",
    "category",
    "subcategory",
    "impact",
    "urgency",
    "unit_id",
    "requester_name",
    "requester_phone",
    "asset_tag",
    "location",
)
ACTIONS = {
    "confirm": ("rating", "comment"),
    "reopen": ("reason",),
    "cancel": ("reason",),
    "comment": ("body",),
    "duplicate": ("of_number",),
    "resolve": ("resolution_code", "summary"),
    "pending": ("reason",),
    "resume": ("note",),
    "contact": ("reason",),  # a masked requester's contact, revealed with a reason (opsdesk_shared/privacy.py)
}


async def units(web: Web) -> list[dict[str, Any]]:
    return list(await web.api.get("/api/admin/units"))


async def new_ticket_values(web: Web) -> dict[str, str]:
    """A requester mostly files for themselves: the form starts with their own name and phone, which they
    may change. The hotline files for whoever calls, so its form starts blank."""
    if web.session is None or not web.session.has_any("requester") or web.session.has_any("hotline_operator"):
        return {}
    me = await web.api.get("/api/auth/me")
    return {"requester_name": me["display_name"][:50], "requester_phone": (me.get("phone") or "").removeprefix("+86")}


@router.get("/ui/portal")
async def portal(
    web: Web = role_guard("requester", "hotline_operator"), status: str | None = None, q: str | None = None
) -> Response:
    page = await web.api.get("/api/tickets", limit=50, status=status, q=q)
    return web.render(
        "portal.html",
        tickets=page["items"],
        units=await units(web),
        values=await new_ticket_values(web),
        errors={},
        status=status or "",
        q=q or "",
    )


@router.get("/ui/portal/tickets")
async def portal_rows(
    web: Web = role_guard("requester", "hotline_operator"), status: str | None = None, q: str | None = None
) -> Response:
    page = await web.api.get("/api/tickets", limit=50, status=status, q=q)
    return web.render("fragments/ticket_rows.html", tickets=page["items"])


@router.post("/ui/tickets")
async def create_ticket(web: WebPage) -> Response:
    """Files a ticket (and its attachments). On a refusal the form comes back filled in, each message
    beside its field: nothing typed is lost."""
    fields = await form_fields(web.request)
    assert web.session is not None
    channel = "hotline" if web.session.has_any("hotline_operator") else "web"
    body = body_of(fields, *TICKET_FIELDS, channel=channel)
    if channel == "hotline" and fields.get("call_id"):
        body["call_id"] = fields["call_id"]  # filed from a screen pop: intake links the call in the same step
    if fields.get("priority_override"):
        # Only when ticked: a priority left in the hidden override fields is not a choice.
        body.update(body_of(fields, "priority", "priority_reason"))
    refused = form_refusals(web, fields)
    if refused:
        return web.render(
            "fragments/ticket_form.html", status_code=422, units=await units(web), values=fields, errors=refused
        )
    try:
        ticket = await web.api.post("/api/tickets", body)
    except ApiError as exc:
        return web.render(
            "fragments/ticket_form.html",
            status_code=422,
            units=await units(web),
            values=fields,
            errors=exc.field_errors(),
            error=exc.detail,
        )
    failed = []
    for upload in await form_files(web.request, "attachments"):
        try:
            await web.api.call(
                "POST",
                f"/api/tickets/{ticket['id']}/attachments",
                files={"file": (upload.filename, await upload.read(), upload.content_type)},
            )
        except ApiError as exc:
            failed.append(f"{upload.filename}: {exc.detail}")
    response = web.render(
        "fragments/ticket_created.html",
        ticket=ticket,
        call_linked=bool(body.get("call_id")),
        failed=failed,
        units=await units(web),
        values={"unit_id": fields.get("unit_id", "")},
        errors={},
    )
    # The page's own lists show it at once (and the call it was filed from, now logged).
    response.headers["HX-Trigger"] = "tickets-changed, calls-changed" if body.get("call_id") else "tickets-changed"
    return response


def form_refusals(web: Web, fields: dict[str, str]) -> dict[str, str]:
    """What the form itself refuses before asking intake, each said beside its field in the user's language:
    a unit typed but not chosen from the list, an override without its priority or reason."""
    errors = {}
    if not fields.get("unit_id"):
        errors["unit_id"] = web._("请从列表中选择报修单位（输入名称或代码查找）")
    if fields.get("priority_override"):
        if not fields.get("priority"):
            errors["priority"] = web._("请选择调整后的优先级")
        if not fields.get("priority_reason"):
            errors["priority_reason"] = web._("调整优先级须填写原因")
    return errors


@router.get("/ui/tickets/{ticket_id}")
async def ticket_page(ticket_id: str, web: WebPage) -> Response:
    return web.render("ticket.html", **await _ticket_view(web, ticket_id))


@router.get("/ui/tickets/{ticket_id}/panel")
async def ticket_panel(ticket_id: str, web: WebPage) -> Response:
    return web.render("fragments/ticket_panel.html", **await _ticket_view(web, ticket_id))


@router.post("/ui/tickets/{ticket_id}/{action}")
async def ticket_action(ticket_id: str, action: str, web: WebPage) -> Response:
    if action not in ACTIONS:
        return Response(status_code=404)
    fields = await form_fields(web.request)
    body = body_of(fields, *ACTIONS[action])
    if action == "comment":
        # Staff write internal notes unless they tick "reply to requester" (the API's default, said here too).
        body["public"] = fields.get("public") == "on"
    path = f"/api/tickets/{ticket_id}/{'comments' if action == 'comment' else action}"
    error, errors, answer = None, {}, None
    try:
        answer = await web.api.post(path, body)
    except ApiError as exc:
        error, errors = exc.detail, exc.field_errors()
    view = await _ticket_view(web, ticket_id)
    view.update(action=action, error=error, errors=errors, values=fields if error else {})
    if action == "contact" and answer:
        view["contact"] = answer
    return web.render("fragments/ticket_panel.html", status_code=422 if error else 200, **view)


@router.get("/ui/tickets/{ticket_id}/canned-reply")
async def canned_reply(ticket_id: str, web: WebPage, canned: str = "") -> Response:
    """The comment box filled with the picked canned reply (htmx swaps the box; no script of our own)."""
    chosen = next((r for r in await _canned_replies(web) if r["id"] == canned), None)
    return web.render("fragments/comment_body.html", values={"body": chosen["body"] if chosen else ""}, errors={})


async def _canned_replies(web: Web) -> list[dict[str, Any]]:
    if web.session is None or not web.session.has_any(*COMMENTERS_WITH_CANNED_REPLIES):
        return []
    return list(await web.api.get("/api/canned-replies"))


# Comment kinds in the timeline: the comments themselves are listed in their place with their text.
COMMENT_KINDS = frozenset({"comment", "internal_comment"})
COMMENTERS_WITH_CANNED_REPLIES = ("hotline_operator", "dispatcher", "admin")


# Status changes whose action names the new status: the line says the action only ("挂起", not "挂起 → 挂起").
# Those below can end in more than one status, so their line names it.
STATUS_SHOWN_AFTER = frozenset({"resume", "unassign"})


def history(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """The timeline and the comments in one time order, one line per step.

    A work-order step that moved the ticket is written twice by intake: the status change (`assign`, with
    `detail.source` naming the step) and the step itself (`engineer_assigned`, naming the engineer). Shown
    once: the step's words and engineer, and who did it when that is somebody else (the dispatcher who
    assigned)."""
    twins = {
        (e["detail"]["source"], e["at"], e["detail"].get("work_order_id")): e
        for e in ticket["timeline"]
        if e["detail"].get("source") and "to" in e["detail"]
    }
    steps = []
    for e in ticket["timeline"]:
        if e["kind"] in COMMENT_KINDS or (e["detail"].get("source") and "to" in e["detail"]):
            continue
        entry: dict[str, Any] = {"comment": None, **e, "by": None, "status_shown": e["kind"] in STATUS_SHOWN_AFTER}
        twin = twins.pop((e["kind"], e["at"], e["detail"].get("work_order_id")), None)
        if twin is not None and twin["actor_name"] and twin["actor_name"] != e["actor_name"]:
            entry["by"] = twin["actor_name"]
        steps.append(entry)
    # A status change whose step line is missing (written before the steps were) keeps its own line.
    steps += [{"comment": None, **e, "by": None, "status_shown": False} for e in twins.values()]
    notes = [{"comment": c, "at": c["at"]} for c in ticket.get("comments", [])]
    return sorted([*steps, *notes], key=lambda entry: datetime.fromisoformat(entry["at"]))


async def _ticket_view(web: Web, ticket_id: str) -> dict[str, Any]:
    ticket = await web.api.get(f"/api/tickets/{ticket_id}")
    clocks: list[dict[str, Any]] = []
    try:
        clocks = (await web.api.get(f"/api/sla/tickets/{ticket_id}"))["clocks"]
    except ApiError:
        pass  # a requester may not read dispatch's clocks; the page shows the ticket's own SLA state
    unit_list = await units(web)
    unit_names = {u["id"]: u["name"] for u in unit_list}
    return {
        "ticket": ticket,
        "unit_list": unit_list,  # staff's reclassification picks the new unit from these
        "history": history(ticket),
        "canned_replies": await _canned_replies(web),
        "clocks": clocks,
        "unit_name": unit_names.get(ticket["unit_id"], ""),
        "action": None,
        "contact": None,
        "error": None,
        "errors": {},
        "values": {},
    }
