"""What every page handler gets: the signed-in user's session, an API client acting as them, and a
`render` that fills in language, navigation and the CSRF token.

Signing in, refreshing shortly before the access token expires, the idle time-out and the CSRF check all
happen here, once, before any page code runs."""

import asyncio
import hashlib
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
from gateway.web.security import write_session
from gateway.web.session import WebSession
from gateway.web.session_locks import SessionLocks
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


class SessionLocked(Exception):
    """The session was idle past the limit: nothing opens but the lock screen (enforced here, not in the page)."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class AccountSetupRequired(Exception):
    def __init__(self, page: str) -> None:
        self.page = page


# While the account's set-up is unfinished only these open (and the API refuses everything else anyway).
SETUP_PATHS = frozenset({"/ui/password", "/ui/totp", "/logout"})
# While the session is locked only these open: the lock screen, its unlock, signing out, and the two live
# streams, which on a locked session send counts only (pages/live.py).
LOCK_PATHS = frozenset({"/ui/lock", "/ui/unlock", "/logout", "/ui/live/events", "/ui/live/screen-pops"})


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
    write_session(request, session)


@dataclass(frozen=True)
class _Rotation:
    at: float
    browser: str
    access_token: str
    expires_in: int


# Rotations this process made lately, by the digest of the refresh token they used. A page's parallel
# requests that all find the access token about to expire share one rotation instead of racing: a second
# rotation with the same token is a reuse, which the API takes for a theft and answers by ending the
# session. What is shared is narrow: only with the same browser (address and User-Agent), only for a few
# seconds, and only the access token, to render that one response; the new refresh token reaches the
# browser in the first request's cookie alone. Anyone else presenting the old token goes to the API.
_recent_rotations: dict[str, _Rotation] = {}
_refresh_lock = asyncio.Lock()
REFRESH_SHARE_S = 10.0


def _browser(request: Request) -> str:
    host = request.client.host if request.client else ""
    return hashlib.sha256(f"{host}\0{request.headers.get('user-agent', '')}".encode()).hexdigest()


async def _refresh(request: Request, session: WebSession) -> bool | None:
    """Puts a fresh access token in `session`. True: this request rotated the pair, and its cookie must carry
    it; False: it shares a rotation just made for the same browser, and must leave the cookie alone; None:
    the session is over."""
    key = hashlib.sha256(session.refresh_token.encode()).hexdigest()
    async with _refresh_lock:
        now = sessions.now()
        for token, rotation in list(_recent_rotations.items()):
            if now - rotation.at > REFRESH_SHARE_S:
                del _recent_rotations[token]
        shared = _recent_rotations.get(key)
        if shared is not None and secrets.compare_digest(shared.browser, _browser(request)):
            session.access_token = shared.access_token
            session.access_expires_at = shared.at + shared.expires_in
            return False
        async with ApiClient(request, None) as api:
            try:
                pair = await api.post("/api/auth/refresh", {"refresh_token": session.refresh_token})
            except ApiError:
                return None
        expires_in = int(pair["expires_in"])
        _recent_rotations[key] = _Rotation(now, _browser(request), pair["access_token"], expires_in)
    session.access_token = pair["access_token"]
    session.refresh_token = pair["refresh_token"]
    session.access_expires_at = now + expires_in
    return True


async def current_session(request: Request) -> WebSession:
    codec: sessions.SessionCodec = request.app.state.web_codec
    session = codec.from_request(request)
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None:
        raise LoginRequired(next_path)
    now = sessions.now()
    idle_limit = request.app.state.settings.web_idle_timeout_s
    locks: SessionLocks = request.app.state.web_locks
    if session.locked_at is None:
        # The server's record wins over the cookie: this request may carry a cookie from before the lock.
        session.locked_at = await locks.locked_at(session.sid)
    if session.locked_at is None and session.idle_for(now) > idle_limit:
        # Locked, not ended: a 7×24 console must keep counting the calls and escalations that arrive (its
        # streams keep the tokens fresh); only a fresh sign-in of the same user opens it again.
        session.locked_at = now
        await locks.lock(session.sid, now)
    keep_cookie = False
    if session.access_expires_at - now < REFRESH_MARGIN_S:
        rotated = await _refresh(request, session)
        if rotated is None:
            _store(request, None)
            raise LoginRequired(next_path, reason="expired")
        if rotated:
            _store(request, session)  # at once: the new refresh token must reach the browser whatever follows
        keep_cookie = not rotated
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(sessions.CSRF_HEADER)
        if sent is None:
            form = await request.form()
            sent = str(form.get(sessions.CSRF_FIELD) or "")
        if not sent or not secrets.compare_digest(sent, session.csrf):
            raise CsrfFailed()
    if not request.headers.get(sessions.LIVE_HEADER) and session.locked_at is None:
        session.last_seen_at = now
    if not keep_cookie:  # a shared rotation: the cookie with the new refresh token is the first request's
        _store(request, session)
    if session.locked_at is not None and request.url.path not in LOCK_PATHS:
        raise SessionLocked(next_path)
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
