"""Signing in and out, the language switch, and `/` sending each role to its console."""

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from gateway.web import session as sessions
from gateway.web.api_client import ApiClient, ApiError
from gateway.web.context import PublicPage, WebPage, current_session
from gateway.web.i18n import LANGUAGES
from gateway.web.navigation import home_for
from gateway.web.pages.forms import form_fields
from gateway.web.security import write_session
from gateway.web.session import WebSession

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an open redirect after login is a phishing tool."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    return origin is None or urlsplit(origin).netloc == request.url.netloc


@router.get("/")
async def root(request: Request) -> Response:
    codec: sessions.SessionCodec = request.app.state.web_codec
    session = codec.from_request(request)
    return RedirectResponse(home_for(session.roles) if session else "/login", status_code=303)


@router.get("/login")
async def login_page(web: PublicPage, next: str | None = None, reason: str | None = None) -> Response:
    messages = {"timeout": web._("会话已超时，请重新登录。"), "expired": web._("登录已过期，请重新登录。")}
    return web.render("login.html", next=_safe_next(next) or "", notice=messages.get(reason or ""), error=None)


@router.post("/login")
async def login(
    web: PublicPage,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    otp: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    request = web.request
    if not _same_origin(request):
        return web.render("login.html", status_code=403, next="", notice=None, error=web._("请求来源无效。"))
    credentials = {"username": username.strip(), "password": password}
    if otp.strip():
        credentials["otp"] = otp.strip()
    try:
        pair = await web.api.post("/api/auth/login", credentials)
    except ApiError as exc:
        if exc.problem.get("rule") == "otp-required":
            return web.render(
                "login.html",
                status_code=401,
                next=next,
                notice=None,
                username=username,
                ask_otp=True,
                error=web._("此账号已启用动态口令：请再次输入密码和验证器中的 6 位动态口令。"),
            )
        error = {
            401: web._("用户名或密码错误。"),
            403: web._("此账号长期未使用，已被停用，请联系系统管理员启用。"),
            423: web._("登录失败次数过多，账号已暂时锁定，请 15 分钟后再试。"),
            429: web._("尝试过于频繁，请稍后再试。"),
            422: web._("请输入用户名和密码。"),
        }.get(exc.status, web._("登录暂时不可用，请稍后再试。"))
        return web.render(
            "login.html",
            status_code=exc.status,
            next=next,
            notice=None,
            error=error,
            username=username,
            ask_otp=bool(otp.strip()),
        )
    session = await _session_from(request, pair)
    write_session(request, session)
    if session.password_change_required:
        return RedirectResponse("/ui/password?reason=" + str(pair.get("password_change_reason") or ""), 303)
    if session.totp_enrolment_required:
        return RedirectResponse("/ui/totp", status_code=303)
    return RedirectResponse(_safe_next(next) or home_for(session.roles), status_code=303)


async def _session_from(request: Request, pair: dict[str, Any], csrf: str | None = None) -> WebSession:
    async with ApiClient(request, pair["access_token"]) as api:
        me = await api.get("/api/auth/me")
    now = sessions.now()
    return WebSession(
        access_token=pair["access_token"],
        refresh_token=pair["refresh_token"],
        access_expires_at=now + int(pair["expires_in"]),
        last_seen_at=now,
        csrf=csrf or sessions.new_csrf(),
        user_id=me["id"],
        username=me["username"],
        display_name=me["display_name"],
        roles=me["roles"],
        unit_id=me["unit_id"],
        password_change_required=bool(pair.get("must_change_password")),
        totp_enrolment_required=bool(pair.get("totp_enrolment_required")),
    )


@router.post("/logout")
async def logout(request: Request) -> Response:
    codec: sessions.SessionCodec = request.app.state.web_codec
    session = codec.from_request(request)
    if session is not None:
        await current_session(request)  # CSRF-checked: nobody can sign another's browser out
        async with ApiClient(request, session.access_token) as api:
            try:
                await api.post("/api/auth/logout", {"refresh_token": session.refresh_token})
            except ApiError:
                pass
    write_session(request, None)
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
async def switch_language(code: str, request: Request, back: str | None = None) -> Response:
    response = RedirectResponse(_safe_next(back) or "/", status_code=303)
    if code in LANGUAGES:
        response.set_cookie(sessions.LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", httponly=True)
    return response


@router.get("/ui/password")
async def password_page(web: WebPage, reason: str | None = None) -> Response:
    return web.render("password.html", reason=reason or "", values={}, errors={}, error=None)


@router.post("/ui/password")
async def change_password(web: WebPage) -> Response:
    """Changes the password; the API ends every other session and hands back a full token pair."""
    assert web.session is not None
    fields = await form_fields(web.request)
    errors: dict[str, str] = {}
    if fields.get("new_password") != fields.get("confirm_password"):
        errors["confirm_password"] = web._("两次输入的新密码不一致。")
    else:
        try:
            pair = await web.api.post(
                "/api/auth/password",
                {
                    "current_password": fields.get("current_password", ""),
                    "new_password": fields.get("new_password", ""),
                },
            )
        except ApiError as exc:
            errors = exc.field_errors() or {"new_password": exc.detail}
        else:
            session = await _session_from(web.request, pair, csrf=web.session.csrf)
            write_session(web.request, session)
            target = session.setup_page or home_for(session.roles)
            if web.request.headers.get("hx-request"):  # the form is sent by htmx: the whole page moves on
                return Response(status_code=204, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
    # Passwords are never sent back in the page: the browser keeps what was typed across the swap (ui.js).
    return web.render("password.html", status_code=422, reason="", values={}, errors=errors, error=None)


@router.get("/ui/totp")
async def totp_page(web: WebPage) -> Response:
    """Enrolling the authenticator app: a new secret and its QR code each time the page opens."""
    try:
        setup = await web.api.post("/api/auth/totp/setup")
    except ApiError as exc:
        return web.render("totp.html", setup=None, error=exc.detail, errors={})
    return web.render("totp.html", setup=setup, error=None, errors={})


@router.post("/ui/totp")
async def totp_confirm(web: WebPage) -> Response:
    assert web.session is not None
    fields = await form_fields(web.request)
    try:
        pair = await web.api.post("/api/auth/totp/confirm", {"otp": fields.get("otp", "")})
    except ApiError as exc:
        setup = {"secret": fields.get("secret", ""), "qr_svg": "", "otpauth_uri": ""}
        return web.render(
            "totp.html", status_code=422, setup=setup, error=None, errors=exc.field_errors() or {"otp": exc.detail}
        )
    session = await _session_from(web.request, pair, csrf=web.session.csrf)
    write_session(web.request, session)
    return RedirectResponse(home_for(session.roles), status_code=303)


@router.get("/ui/profile")
async def profile(web: WebPage) -> Response:
    return web.render("profile.html")
