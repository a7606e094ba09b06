"""The monitoring console (运行监测): the alerts heard of (firing first), the rules that decide which open
tickets (admins keep them), and maintenance windows (admins and dispatchers open and end them). Matchers are
typed one per line as Alertmanager writes them (`severity=critical`, `instance=~10\\.1\\..*`)."""

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.web.api_client import ApiError
from gateway.web.context import LOCAL_TZ, Web, role_guard
from gateway.web.pages.forms import form_fields

router = APIRouter(prefix="/ui/monitoring", include_in_schema=False)
Reader = role_guard("admin", "dispatcher", "supervisor", "project_manager")
Keeper = role_guard("admin", "dispatcher")
_MATCHER = re.compile(r"^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*\"?(.*?)\"?\s*$")


def parse_matchers(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """(matchers, lines that are not one): one `label op value` per line, blank lines skipped."""
    matchers, bad = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        found = _MATCHER.match(line)
        if found is None:
            bad.append(line.strip())
        else:
            matchers.append({"label": found[1], "op": found[2], "value": found[3]})
    return matchers, bad


def matchers_text(matchers: list[dict[str, str]]) -> str:
    return ", ".join(f"{m['label']}{m['op']}{m['value']}" for m in matchers)


def instant(local: str) -> str:
    """A datetime-local field (the desk's Asia/Shanghai wall clock) as an ISO instant with its offset;
    what is not a date-time is passed on for the API to name."""
    try:
        return datetime.fromisoformat(local).replace(tzinfo=LOCAL_TZ).isoformat()
    except ValueError:
        return local


async def _view(web: Web, **extra: Any) -> dict[str, Any]:
    firing = await web.api.get("/api/monitoring/alerts", status="firing", limit=200)
    resolved = await web.api.get("/api/monitoring/alerts", status="resolved", limit=50)
    return {
        "firing": firing,
        "resolved": resolved,
        "rules": await web.api.get("/api/monitoring/rules"),
        "windows": await web.api.get("/api/monitoring/maintenance"),
        "matchers_text": matchers_text,
        "can_keep_rules": web.session is not None and web.session.has_any("admin"),
        "can_keep_windows": web.session is not None and web.session.has_any("admin", "dispatcher"),
        "values": {},
        "errors": {},
        **extra,
    }


@router.get("")
async def monitoring(web: Web = Reader) -> Response:
    return web.render("monitoring.html", **await _view(web))


@router.post("/rules")
async def add_rule(web: Web = Keeper) -> Response:
    fields = await form_fields(web.request)
    matchers, bad = parse_matchers(fields.get("matchers", ""))
    if bad:
        errors = {"matchers": web._("每行一个条件，如 severity=critical：") + "；".join(bad)}
        return web.render("monitoring.html", status_code=422, **await _view(web, values=fields, errors=errors))
    body: dict[str, Any] = {
        "name": fields.get("name", ""),
        "position": fields.get("position") or "100",
        "matchers": matchers,
        "opens_tickets": fields.get("opens_tickets") == "on",
        "auto_resolve": fields.get("auto_resolve") == "on",
        "availability": fields.get("availability") == "on",
        "default_priority": fields.get("default_priority") or "P3",
        "reopen_window_s": int(fields["reopen_minutes"]) * 60 if fields.get("reopen_minutes", "").isdigit() else 3600,
    }
    try:
        await web.api.post("/api/monitoring/rules", body)
    except ApiError as exc:
        view = await _view(web, values=fields, errors=exc.field_errors(), error=exc.detail)
        return web.render("monitoring.html", status_code=422 if exc.status == 422 else 200, **view)
    return web.render("monitoring.html", **await _view(web, saved="rule"))


@router.post("/rules/{rule_id}/delete")
async def delete_rule(rule_id: str, web: Web = Keeper) -> Response:
    try:
        await web.api.call("DELETE", f"/api/monitoring/rules/{rule_id}")
    except ApiError as exc:
        return web.render("monitoring.html", **await _view(web, error=exc.detail))
    return web.render("monitoring.html", **await _view(web))


@router.post("/maintenance")
async def open_window(web: Web = Keeper) -> Response:
    fields = await form_fields(web.request)
    body = {
        "asset_tag": fields.get("asset_tag") or None,
        "unit_id": fields.get("unit_id") or None,
        "starts_at": instant(fields.get("starts_at", "")),
        "ends_at": instant(fields.get("ends_at", "")),
        "reason": fields.get("reason", ""),
    }
    try:
        await web.api.post("/api/monitoring/maintenance", body)
    except ApiError as exc:
        view = await _view(web, values=fields, errors=exc.field_errors(), error=exc.detail)
        return web.render("monitoring.html", status_code=422 if exc.status == 422 else 200, **view)
    return web.render("monitoring.html", **await _view(web, saved="window"))


@router.post("/maintenance/{window_id}/end")
async def end_window(window_id: str, web: Web = Keeper) -> Response:
    try:
        await web.api.post(f"/api/monitoring/maintenance/{window_id}/end")
    except ApiError as exc:
        return web.render("monitoring.html", **await _view(web, error=exc.detail))
    return web.render("monitoring.html", **await _view(web))
