"""The engineer's phone-sized view: my work orders; accept, depart, arrive, log work, record parts and
the custody of replaced storage media, resolve (on site or remotely)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import Web, role_guard
from gateway.web.pages.forms import body_of, form_fields

router = APIRouter(prefix="/ui/engineer", include_in_schema=False)
Engineer = role_guard("engineer")
STEPS = {
    "accept": (),
    "depart": (),
    "arrive": (),
    "work-log": ("note", "minutes"),
    "media": ("serial", "description", "handed_to"),
    "resolve": ("resolution_code", "summary"),
}
OPEN = ("assigned", "accepted", "en_route", "on_site")


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
    if step not in STEPS:
        return Response(status_code=404)
    fields = await form_fields(web.request)
    body: Any = body_of(fields, *STEPS[step])
    error, errors = None, {}
    try:
        if step == "resolve":
            body["remote"] = fields.get("remote") == "on"
            body["parts"] = _parts(fields)
        await web.api.post(f"/api/work-orders/{order_id}/{step}", body or None)
    except (ApiError, ValueError) as exc:
        error = exc.detail if isinstance(exc, ApiError) else str(exc)
        errors = exc.field_errors() if isinstance(exc, ApiError) else {"parts": str(exc)}
    view = await _order_view(web, order_id)
    view.update(error=error, errors=errors, values=fields if error else {}, step=step)
    return web.render("fragments/work_order_panel.html", status_code=422 if error else 200, **view)


def _parts(fields: dict[str, str]) -> list[dict[str, Any]]:
    """Rows `part_name_N`, `part_qty_N`, `part_cost_N`; a row with no name is an empty row, not an error."""
    parts = []
    for n in range(5):
        name = fields.get(f"part_name_{n}")
        if not name:
            continue
        try:
            quantity = int(fields.get(f"part_qty_{n}") or "1")
            cost = Decimal(fields.get(f"part_cost_{n}") or "0")
        except (ValueError, InvalidOperation) as exc:
            raise ValueError(f"parts: row {n + 1} needs a whole quantity and a cost in yuan") from exc
        parts.append({"name": name, "quantity": quantity, "unit_cost": str(cost)})
    return parts


async def _orders(web: Web) -> list[dict[str, Any]]:
    assert web.session is not None
    page = await web.api.get("/api/work-orders", engineer_id=web.session.user_id, limit=100)
    items = page["items"]
    return sorted(items, key=lambda o: (o["status"] not in OPEN, o["assigned_at"]), reverse=False)


async def _order_view(web: Web, order_id: str) -> dict[str, Any]:
    order = await web.api.get(f"/api/work-orders/{order_id}")
    ticket = await web.api.get(f"/api/tickets/{order['ticket_id']}")
    return {"order": order, "ticket": ticket, "error": None, "errors": {}, "values": {}, "step": None}
