"""The engineer's phone-sized view: my work orders (where, by when); accept, decline, depart, arrive, put on
hold, log work, record parts and the custody of replaced storage media, take photos, have the requester
sign on the screen, resolve (on site or remotely)."""

import base64
import binascii
import re
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
    rows: list[int] = []
    try:
        if step in STEPS:
            body: Any = body_of(fields, *STEPS[step])
            if step == "resolve":
                body["remote"] = fields.get("remote") == "on"
                body["media_replaced"] = fields.get("media_replaced") == "on"
                body["parts"], rows = _parts(fields)
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
    except ApiError as exc:
        error, errors = exc.detail, exc.field_errors()
        errors.update(_part_errors(exc, rows))
    view = await _order_view(web, order_id)
    view.update(error=error, errors=errors, values=fields if error else {}, step=step)
    if error and step == "resolve":  # the rows the engineer added come back as typed
        view["part_rows"] = _part_rows(fields) or [0]
    return web.render("fragments/work_order_panel.html", status_code=422 if error else 200, **view)


PART_FIELDS = {"name": "part_name", "part_number": "part_no", "quantity": "part_qty", "unit_cost": "part_cost"}


def _parts(fields: dict[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows `part_name_N`, `part_no_N` (the catalogue's part number, when the part came from stock), `part_qty_N`,
    `part_cost_N`, as many as the engineer added (row numbers need not be
    consecutive: removed rows leave gaps); a row with no name is an empty row, not an error. The figures go
    to the API as typed: its validation names the row and the field (`parts.0.unit_cost`), and the page
    puts each message beside that input. Also the row number of each part sent."""
    parts, rows = [], []
    for n in _part_rows(fields):
        name = fields.get(f"part_name_{n}")
        if not name:
            continue
        part = {
            "name": name,
            "quantity": fields.get(f"part_qty_{n}") or "1",
            "unit_cost": fields.get(f"part_cost_{n}") or "0",
        }
        if fields.get(f"part_no_{n}"):
            part["part_number"] = fields[f"part_no_{n}"]
        parts.append(part)
        rows.append(n)
    return parts, rows


def _part_errors(exc: ApiError, rows: list[int]) -> dict[str, str]:
    """`parts.<i>.<field>` -> the input of that row (`part_cost_<n>`)."""
    placed: dict[str, str] = {}
    for path, message in exc.field_paths().items():
        match = re.fullmatch(r"parts\.(\d+)\.(\w+)", path)
        if match and int(match.group(1)) < len(rows) and match.group(2) in PART_FIELDS:
            placed[f"{PART_FIELDS[match.group(2)]}_{rows[int(match.group(1))]}"] = message
    if placed:
        placed["parts"] = ""  # shown beside the row's input, not again under the table
    return placed


def _part_rows(fields: dict[str, str]) -> list[int]:
    return sorted(int(m.group(1)) for name in fields if (m := PART_ROW.match(name)))


async def _upload_photos(web: Web, order: dict[str, Any]) -> None:
    photos = await form_files(web.request, "photo")
    if not photos:
        raise _page_error(web, "web.photo_required", "file")
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
        raise _page_error(web, "web.signature_missing", "file")
    try:
        png = base64.b64decode(data_url.removeprefix(SIGNATURE_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _page_error(web, "web.signature_unreadable", "file") from exc
    await web.api.call(
        "POST",
        f"/api/tickets/{order['ticket_id']}/attachments",
        files={"file": (f"签名-{order['ticket_number']}.png", png, "image/png")},
    )


def _page_error(web: Web, code: str, field: str) -> ApiError:
    """A refusal of the page's own, worded from the same catalogue as the API's."""
    return ApiError(422, {"code": code, "field": field}, web.lang)


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
