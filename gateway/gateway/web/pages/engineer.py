"""The engineer's phone-sized view: my work orders (where, by when); accept, decline, depart, arrive, put on
hold, log work, record parts and the custody of replaced storage media, take photos, have the requester
sign on the screen, resolve (on site or remotely)."""

import base64
import binascii
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard
from gateway.web.pages.forms import body_of, form_fields, form_files

router = APIRouter(prefix="/ui/engineer", include_in_schema=False)
Engineer = role_guard("engineer")
# step -> the form fields its API body takes
STEPS = {
    "accept": (),
    "decline": ("reason",),
    "depart": (),
    "arrive": (),
    "work-log": ("note", "minutes"),
    "media": ("serial", "description", "handed_to"),
    "resolve": ("resolution_code", "summary"),
}
# Steps on the ticket itself (intake's), made as the engineer: a hold is intake's `pending`, which owns
# the ticket's life cycle and pauses the SLA clocks through its own event; dispatch keeps no second copy.
TICKET_STEPS = {"hold": ("pending", ("reason",)), "resume": ("resume", ("note",))}
OPEN = ("assigned", "accepted", "en_route", "on_site")
PART_ROW = re.compile(r"^part_name_(\d+)$")
SIGNATURE_PREFIX = "data:image/png;base64,"


@router.get("")
async def my_orders(web: Web = Engineer) -> Response:
    return web.render("engineer.html", orders=await _orders(web))


@router.get("/orders")
async def my_order_rows(web: Web = Engineer) -> Response:
    return web.render("fragments/my_orders.html", orders=await _orders(web))


@router.get("/orders/{order_id}")
async def order_page(order_id: str, web: Web = Engineer) -> Response:
    return web.render("work_order.html", **await _order_view(web, order_id))


@router.post("/orders/{order_id}/{step}")
async def order_step(order_id: str, step: str, web: Web = Engineer) -> Response:
    if step not in STEPS and step not in TICKET_STEPS and step not in ("photo", "signature"):
        return Response(status_code=404)
    fields = await form_fields(web.request)
    error, errors = None, {}
    try:
        if step in STEPS:
            body: Any = body_of(fields, *STEPS[step])
            if step == "resolve":
                body["remote"] = fields.get("remote") == "on"
                body["media_replaced"] = fields.get("media_replaced") == "on"
                body["parts"] = _parts(fields)
            await web.api.post(f"/api/work-orders/{order_id}/{step}", body or None)
        else:
            order = await web.api.get(f"/api/work-orders/{order_id}")
            if step in TICKET_STEPS:
                action, names = TICKET_STEPS[step]
                await web.api.post(f"/api/tickets/{order['ticket_id']}/{action}", body_of(fields, *names) or None)
            elif step == "photo":
                await _upload_photos(web, order)
            else:
                await _upload_signature(web, order, fields.get("signature", ""))
    except (ApiError, ValueError) as exc:
        error = exc.detail if isinstance(exc, ApiError) else str(exc)
        errors = (
            exc.field_errors() if isinstance(exc, ApiError) else {"parts" if step == "resolve" else "file": str(exc)}
        )
    view = await _order_view(web, order_id)
    view.update(error=error, errors=errors, values=fields if error else {}, step=step)
    if error and step == "resolve":  # the rows the engineer added come back as typed
        view["part_rows"] = _part_rows(fields) or [0]
    return web.render("fragments/work_order_panel.html", status_code=422 if error else 200, **view)


def _parts(fields: dict[str, str]) -> list[dict[str, Any]]:
    """Rows `part_name_N`, `part_qty_N`, `part_cost_N`, as many as the engineer added (row numbers need not be
    consecutive: removed rows leave gaps); a row with no name is an empty row, not an error."""
    parts = []
    for position, n in enumerate(_part_rows(fields), start=1):
        name = fields.get(f"part_name_{n}")
        if not name:
            continue
        try:
            quantity = int(fields.get(f"part_qty_{n}") or "1")
            cost = Decimal(fields.get(f"part_cost_{n}") or "0")
        except (ValueError, InvalidOperation) as exc:
            raise ValueError(f"parts: row {position} needs a whole quantity and a cost in yuan") from exc
        parts.append({"name": name, "quantity": quantity, "unit_cost": str(cost)})
    return parts


def _part_rows(fields: dict[str, str]) -> list[int]:
    return sorted(int(m.group(1)) for name in fields if (m := PART_ROW.match(name)))


async def _upload_photos(web: Web, order: dict[str, Any]) -> None:
    photos = await form_files(web.request, "photo")
    if not photos:
        raise ValueError("choose or take a photo first")
    for photo in photos:
        await web.api.call(
            "POST",
            f"/api/tickets/{order['ticket_id']}/attachments",
            files={"file": (photo.filename, await photo.read(), photo.content_type)},
        )


async def _upload_signature(web: Web, order: dict[str, Any], data_url: str) -> None:
    """The requester's signature, drawn on the page's canvas (static/ui.js), kept as a PNG attachment of the
    ticket; intake checks the bytes are a PNG like any other upload."""
    if not data_url.startswith(SIGNATURE_PREFIX):
        raise ValueError("the requester has not signed yet")
    try:
        png = base64.b64decode(data_url.removeprefix(SIGNATURE_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the signature could not be read; please sign again") from exc
    await web.api.call(
        "POST",
        f"/api/tickets/{order['ticket_id']}/attachments",
        files={"file": (f"签名-{order['ticket_number']}.png", png, "image/png")},
    )


async def _orders(web: Web) -> list[dict[str, Any]]:
    assert web.session is not None
    page = await web.api.get("/api/work-orders", engineer_id=web.session.user_id, limit=100)
    items = page["items"]
    return sorted(items, key=lambda o: (o["status"] not in OPEN, o["assigned_at"]), reverse=False)


async def _order_view(web: Web, order_id: str) -> dict[str, Any]:
    order = await web.api.get(f"/api/work-orders/{order_id}")
    ticket = await web.api.get(f"/api/tickets/{order['ticket_id']}")
    return {
        "order": order,
        "ticket": ticket,
        "error": None,
        "errors": {},
        "values": {},
        "step": None,
        "part_rows": [0],
    }
