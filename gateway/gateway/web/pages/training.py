"""Training sessions (培训) in the web UI: the list (every signed-in user sees the sessions for their unit;
the vendor's staff arrange new ones), a session's page with its materials, the attendee list and the QR code
shown in the room, and the sign-in page the QR code opens (after login: there is no anonymous sign-in)."""

import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from gateway.web.api_client import ApiError, as_download
from gateway.web.context import Web, WebPage, role_guard
from gateway.web.i18n import N_
from gateway.web.pages.forms import form_fields, form_files

router = APIRouter(prefix="/ui/training", include_in_schema=False)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
ARRANGERS = ("admin", "dispatcher", "engineer", "project_manager")
Arranger = role_guard(*ARRANGERS)
STATES = {"scheduled": N_("未开始"), "open": N_("签到中"), "ended": N_("已结束"), "cancelled": N_("已取消")}


def arranges(web: Web) -> bool:
    return web.session is not None and web.session.has_any(*ARRANGERS)


def local_input_to_iso(value: str) -> str:
    """A `datetime-local` field (the bureau's clock, no offset) as the API's ISO time with its offset;
    anything else is passed on for the API to name."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=LOCAL_TZ).isoformat()
    except ValueError:
        return value


def sign_in_qr(url: str) -> str:
    """The QR code shown in the room: the session's sign-in page, which asks for a login first."""
    buffer = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12).save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # inline in the page: no XML declaration


async def _list_view(web: Web, **extra: Any) -> dict[str, Any]:
    sessions = await web.api.get("/api/training/sessions")
    units = await web.api.get("/api/admin/units") if arranges(web) else []
    return {"sessions": sessions, "states": STATES, "units": units, "arranges": arranges(web),
            "values": {}, "errors": {}, **extra}  # fmt: skip


@router.get("")
async def sessions_page(web: WebPage) -> Response:
    return web.render("training.html", **await _list_view(web))


@router.post("")
async def arrange(web: Web = Arranger) -> Response:
    form = await web.request.form()
    fields = await form_fields(web.request)
    body: dict[str, Any] = {
        k: fields[k] for k in ("topic", "trainer", "place", "description", "request_ticket") if fields.get(k)
    }
    for name in ("starts_at", "ends_at"):
        if fields.get(name):
            body[name] = local_input_to_iso(fields[name])
    body["audience_unit_ids"] = [str(v) for v in form.getlist("audience_unit_ids") if str(v)]
    try:
        created = await web.api.post("/api/training/sessions", body)
    except ApiError as exc:
        view = await _list_view(web, error=exc.detail, errors=exc.field_errors(), values=fields)
        return web.render("training.html", status_code=422 if exc.status == 422 else 200, **view)
    return RedirectResponse(f"/ui/training/{created['id']}", status_code=303)


async def _session_view(web: Web, session_id: str, **extra: Any) -> dict[str, Any]:
    training = await web.api.get(f"/api/training/sessions/{session_id}")
    public = web.request.app.state.settings.public_url.rstrip("/")
    url = f"{public}/ui/training/{session_id}/sign-in"
    return {"t": training, "states": STATES, "arranges": arranges(web), "sign_in_url": url,
            "qr": sign_in_qr(url) if arranges(web) else "", **extra}  # fmt: skip


# After a write the browser is sent back to the page (no form re-sent on reload); `ok` names what to confirm.
NOTICES = frozenset({"rated", "uploaded"})


@router.get("/{session_id}")
async def session_page(session_id: str, web: WebPage, ok: str | None = None) -> Response:
    notice = {ok: True} if ok in NOTICES else {}
    return web.render("training_session.html", **await _session_view(web, session_id, **notice))


@router.get("/{session_id}/sign-in")
async def sign_in_page(session_id: str, web: WebPage) -> Response:
    """What the room's QR code opens: the session and one button (signing in is a deliberate act)."""
    return web.render("training_sign_in.html", **await _session_view(web, session_id))


@router.post("/{session_id}/sign-in")
async def sign_in(session_id: str, web: WebPage) -> Response:
    try:
        await web.api.post(f"/api/training/sessions/{session_id}/sign-in")
    except ApiError as exc:
        return web.render("training_sign_in.html", **await _session_view(web, session_id, error=exc.detail))
    return RedirectResponse(f"/ui/training/{session_id}/sign-in", status_code=303)


@router.post("/{session_id}/feedback")
async def feedback(session_id: str, web: WebPage) -> Response:
    fields = await form_fields(web.request)
    body: dict[str, Any] = {
        "rating": int(fields["rating"]) if fields.get("rating", "").isdigit() else fields.get("rating")
    }
    if fields.get("comment"):
        body["comment"] = fields["comment"]
    try:
        await web.api.call("PUT", f"/api/training/sessions/{session_id}/feedback", json=body)
    except ApiError as exc:
        view = await _session_view(web, session_id, feedback_error=exc.detail, values=fields)
        return web.render("training_session.html", **view)
    return RedirectResponse(f"/ui/training/{session_id}?ok=rated", status_code=303)


@router.post("/{session_id}/materials")
async def add_material(session_id: str, web: Web = Arranger) -> Response:
    uploads = await form_files(web.request, "file")
    try:
        if not uploads:
            raise ApiError(422, {"code": "web.file_required", "field": "file"}, web.lang)
        upload = uploads[0]
        await web.api.call(
            "POST",
            f"/api/training/sessions/{session_id}/materials",
            files={"file": (upload.filename, await upload.read(), upload.content_type or "application/octet-stream")},
        )
    except ApiError as exc:
        return web.render("training_session.html", **await _session_view(web, session_id, material_error=exc.detail))
    return RedirectResponse(f"/ui/training/{session_id}?ok=uploaded", status_code=303)


@router.get("/{session_id}/materials/{material_id}")
async def open_material(session_id: str, material_id: str, web: WebPage) -> Response:
    answer = await web.api.raw("GET", f"/api/training/sessions/{session_id}/materials/{material_id}")
    if answer.status_code >= 400:
        raise web.api.error_of(answer)
    response = as_download(answer)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
