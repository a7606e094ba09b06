"""The web UI: server-rendered pages (Jinja2 + htmx), live over server-sent events, assets from npm
served by the gateway itself (the bureau's intranet has no CDN). `install(app)` wires it into the gateway."""

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.config import GatewaySettings
from gateway.web.api_client import ApiClient, ApiError
from gateway.web.context import (
    AccountSetupRequired,
    CsrfFailed,
    LoginRequired,
    PageForbidden,
    SessionLocked,
    Web,
    login_redirect_target,
)
from gateway.web.i18n import N_, pick_language
from gateway.web.i18n.errors import error_message, generic_for
from gateway.web.navigation import home_for
from gateway.web.pages import (
    admin,
    asset_page,
    assets,
    attachments,
    auth,
    dashboard,
    dispatch,
    duty,
    engineer,
    hotline,
    inspections,
    knowledge,
    live,
    lock,
    measures,
    monitoring,
    roster,
    spares,
    ticket_form,
    ticket_list,
    ticket_staff,
    tickets,
    training,
    visits,
    work_record,
)
from gateway.web.security import WebEdgeMiddleware
from gateway.web.session import LANG_COOKIE, SessionCodec
from opsdesk_shared.errors import HTTP_CODES, http_problem, unexpected_problem

WEB = Path(__file__).parent
LIVE_PREFIX = "/ui/live/"
# npm package → the folder of it the pages load from /static/vendor/<package>/
VENDOR = {
    "htmx": "node_modules/htmx.org/dist",
    "htmx-ext-sse": "node_modules/htmx-ext-sse/dist",
    "echarts": "node_modules/echarts/dist",
    "swagger-ui": "node_modules/swagger-ui-dist",
}


def install(app: FastAPI, settings: GatewaySettings) -> None:
    codec = SessionCodec(settings.web_session_key())
    app.state.web_codec = codec
    app.add_middleware(
        WebEdgeMiddleware,
        codec=codec,
        secure_cookie=settings.public_url.startswith("https://"),
        max_age_s=settings.refresh_token_ttl_s,
    )
    for router in (
        auth.router,
        live.router,
        hotline.router,
        ticket_list.router,
        knowledge.router,  # before tickets.router: /ui/tickets/{id}/to-article
        assets.router,
        asset_page.router,  # after assets.router: its /ui/assets/import is not a tag
        ticket_staff.router,  # before tickets.router: its /ui/tickets/{id}/{action} would take reclassify
        tickets.router,
        ticket_form.router,
        dispatch.router,
        engineer.router,
        inspections.router,
        monitoring.router,
        spares.router,
        measures.router,
        duty.router,
        roster.router,
        dashboard.router,
        admin.router,
        attachments.router,
        work_record.router,
        lock.router,
        training.router,
        visits.router,
    ):
        app.include_router(router)
    for name, folder in VENDOR.items():
        app.mount(f"/static/vendor/{name}", StaticFiles(directory=WEB / folder, check_dir=False), name=f"vendor-{name}")
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.url.path.startswith(LIVE_PREFIX):
            return Response(status_code=204)  # tells an EventSource to stop; the page itself goes to sign-in
        target = login_redirect_target(exc)
        if request.headers.get("hx-request"):  # an htmx fragment: send the whole page to the login screen
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(AccountSetupRequired)
    async def account_setup_required(request: Request, exc: AccountSetupRequired) -> Response:
        if request.url.path.startswith(LIVE_PREFIX):
            return Response(status_code=204)
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": exc.page})
        return RedirectResponse(exc.page, status_code=303)

    @app.exception_handler(SessionLocked)
    async def session_locked(request: Request, exc: SessionLocked) -> Response:
        # No data for a locked session: a fragment or stream gets 401 (the page then shows its lock screen),
        # a page the lock screen, which brings the user back to it once unlocked.
        target = f"/ui/lock?next={quote(exc.next_path, safe='')}"
        if request.url.path.startswith(LIVE_PREFIX) or request.headers.get("hx-request"):
            return Response(status_code=401, headers={"X-Session-Locked": "1", "HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(PageForbidden)
    async def forbidden(request: Request, exc: PageForbidden) -> Response:
        return await _error_page(request, 403, N_("您的角色无权使用此页面。"))

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return await _error_page(request, 403, N_("页面已过期或请求来源无效，请刷新页面后重试。"))

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        if exc.status == 401:  # the token was revoked or the account disabled behind the session's back
            return await login_required(request, LoginRequired(request.url.path, reason="expired"))
        return await _error_page(request, exc.status, exc.detail)

    # A page the browser asked for gets a page in the user's language with a way back; the API (and
    # anything not asking for HTML) keeps its problem+json.
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not _wants_page(request):
            return await http_problem(request, exc)
        code = HTTP_CODES.get(exc.status_code) or generic_for(exc.status_code)
        return await _error_page(request, exc.status_code, error_message(code, None, lambda text: text) or "")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        answer = await unexpected_problem(request, exc)
        if not _wants_page(request):
            return answer
        code = "unavailable" if answer.status_code == 503 else "internal"
        return await _error_page(request, answer.status_code, error_message(code, None, lambda text: text) or "")


def _wants_page(request: Request) -> bool:
    """A page or an htmx fragment (whose error toast reads the page's alert); not the API, assets or streams."""
    path = request.url.path
    if path.startswith(("/api/", "/static/", LIVE_PREFIX)):
        return False
    return bool(request.headers.get("hx-request")) or "text/html" in request.headers.get("accept", "")


async def _error_page(request: Request, status: int, message: str) -> Response:
    codec: SessionCodec = request.app.state.web_codec
    session = codec.from_request(request)
    async with ApiClient(request, None) as api:
        web = Web(request, session, api, pick_language(request.cookies.get(LANG_COOKIE)))
        home = home_for(session.roles) if session is not None else "/login"
        return web.render("error.html", status_code=status, status=status, message=web._(message), home=home)
