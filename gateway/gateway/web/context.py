"""What every page handler gets: the signed-in user's session, an API client acting as them, and a
`render` that fills in language, navigation and the CSRF token.

Signing in, refreshing shortly before the access token expires, the idle time-out and the CSRF check all
happen here, once, before any page code runs."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gateway.web import session as sessions
from gateway.web.api_client import ApiClient, ApiError
from gateway.web.i18n import LANGUAGES, gettext_for, pick_language
from gateway.web.labels import LABELS
from gateway.web.navigation import pages_for
from gateway.web.session import WebSession
from opsdesk_shared.phones import display_phone

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# Refresh this long before the access token runs out, so a page never renders with an expired one.
REFRESH_MARGIN_S = 60
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def local_time(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Times are stored in UTC and shown in Asia/Shanghai (SPEC §1)."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(LOCAL_TZ).strftime(fmt)


templates.env.filters["local"] = local_time
templates.env.filters["phone"] = display_phone  # `138 0001 0005`, as people read and dial it


class LoginRequired(Exception):
    def __init__(self, next_path: str, reason: str | None = None) -> None:
        self.next_path = next_path
        self.reason = reason


class PageForbidden(Exception):
    pass


class CsrfFailed(Exception):
    pass


class AccountSetupRequired(Exception):
    def __init__(self, page: str) -> None:
        self.page = page


# While the account's set-up is unfinished only these open (and the API refuses everything else anyway).
SETUP_PATHS = frozenset({"/ui/password", "/ui/totp", "/logout"})


@dataclass
class Web:
    request: Request
    session: WebSession | None
    api: ApiClient
    lang: str
    extra: dict[str, Any] = field(default_factory=dict)

    def _(self, text: str) -> str:
        return gettext_for(self.lang)(text)

    def context(self, **extra: Any) -> dict[str, Any]:
        gettext = gettext_for(self.lang)
        return {
            "_": gettext,
            "label": lambda value: gettext(LABELS.get(str(value), str(value))) if value is not None else "—",
            "lang": self.lang,
            "languages": LANGUAGES,
            "user": self.session,
            "csrf": self.session.csrf if self.session else "",
            "nav": pages_for(self.session.roles) if self.session else [],
            "path": self.request.url.path,
            "request": self.request,
            "idle_s": self.request.app.state.settings.web_idle_timeout_s if self.session else 0,
            **self.extra,
            **extra,
        }

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(self.request, template, self.context(**context), status_code=status_code)

    def render_text(self, template: str, **context: Any) -> str:
        """A fragment as a string, for a server-sent event."""
        return templates.get_template(template).render(self.context(**context))


def _store(request: Request, session: WebSession | None) -> None:
    """The edge middleware (web/security.py) writes this to the cookie when the response starts."""
    request.state.web_session = session


# Refreshes this process made lately, by the refresh token they used: a page's parallel requests that
# all find the access token about to expire share one rotation instead of racing (the loser's refresh
# token would be revoked by the winner's, signing the user out).
_recent_refreshes: dict[str, tuple[float, dict[str, Any]]] = {}
_refresh_lock = asyncio.Lock()
REFRESH_SHARE_S = 30.0


async def _refresh(request: Request, session: WebSession) -> WebSession | None:
    async with _refresh_lock:
        now = sessions.now()
        for token, (at, _) in list(_recent_refreshes.items()):
            if now - at > REFRESH_SHARE_S:
                del _recent_refreshes[token]
        shared = _recent_refreshes.get(session.refresh_token)
        if shared is not None:
            pair = shared[1]
        else:
            async with ApiClient(request, None) as api:
                try:
                    pair = await api.post("/api/auth/refresh", {"refresh_token": session.refresh_token})
                except ApiError:
                    return None
            _recent_refreshes[session.refresh_token] = (now, pair)
    session.access_token = pair["access_token"]
    session.refresh_token = pair["refresh_token"]
    session.access_expires_at = sessions.now() + int(pair["expires_in"])
    return session


async def current_session(request: Request) -> WebSession:
    codec: sessions.SessionCodec = request.app.state.web_codec
    session = codec.from_request(request)
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None:
        raise LoginRequired(next_path)
    now = sessions.now()
    idle_limit = request.app.state.settings.web_idle_timeout_s
    if session.idle_for(now) > idle_limit:
        async with ApiClient(request, None) as api:
            try:
                await api.post("/api/auth/logout", {"refresh_token": session.refresh_token})
            except ApiError:
                pass
        _store(request, None)
        raise LoginRequired(next_path, reason="timeout")
    if session.access_expires_at - now < REFRESH_MARGIN_S:
        refreshed = await _refresh(request, session)
        if refreshed is None:
            _store(request, None)
            raise LoginRequired(next_path, reason="expired")
        session = refreshed
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(sessions.CSRF_HEADER)
        if sent is None:
            form = await request.form()
            sent = str(form.get(sessions.CSRF_FIELD) or "")
        if not sent or not secrets.compare_digest(sent, session.csrf):
            raise CsrfFailed()
    if not request.headers.get(sessions.LIVE_HEADER):
        session.last_seen_at = now
    _store(request, session)
    if session.setup_page and request.url.path not in SETUP_PATHS:
        raise AccountSetupRequired(session.setup_page)
    return session


async def web_context(request: Request, session: Annotated[WebSession, Depends(current_session)]) -> AsyncIterator[Web]:
    async with ApiClient(request, session.access_token) as api:
        web = Web(request, session, api, pick_language(request.cookies.get(sessions.LANG_COOKIE)))
        web.extra["sms_sink"] = await _sms_goes_to_sink(request, api)
        yield web


async def _sms_goes_to_sink(request: Request, api: ApiClient) -> bool:
    """Whether SMS go to the local Twilio-compatible sink: every page then says so (SPEC §8). Asked once
    per gateway process; the provider does not change while it runs."""
    known: bool | None = getattr(request.app.state, "sms_sink", None)
    if known is None:
        try:
            known = bool((await api.get("/api/sms/provider"))["sink"])
        except ApiError:
            return False  # notifications is away: ask again on the next page
        request.app.state.sms_sink = known
    return known


async def public_context(request: Request) -> AsyncIterator[Web]:
    async with ApiClient(request, None) as api:
        yield Web(request, None, api, pick_language(request.cookies.get(sessions.LANG_COOKIE)))


def login_redirect_target(exc: LoginRequired) -> str:
    target = f"/login?next={quote(exc.next_path, safe='')}"
    return target + (f"&reason={exc.reason}" if exc.reason else "")


WebPage = Annotated[Web, Depends(web_context)]
PublicPage = Annotated[Web, Depends(public_context)]


def role_guard(*roles: str) -> Any:
    """Hide a console from roles that have no use for it; the API behind it enforces the same anyway."""

    async def guard(web: WebPage) -> Web:
        if web.session is None or not web.session.has_any(*roles):
            raise PageForbidden()
        return web

    return Depends(guard)
