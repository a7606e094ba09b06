"""Headers on every web page and asset, and the session cookie written when a page's response starts.

Content-Security-Policy allows only our own scripts (no inline script, no eval: htmx's `hx-on` is not
used), inline styles (ECharts sets them), and our own origin for fetches and event streams. Pages may not
be framed (click-jacking). The API (`/api/...`) is left alone: it answers JSON, and `/api/docs` needs
Swagger UI's inline script."""

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.web.session import COOKIE, SessionCodec, WebSession

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",  # camera: the phone view scans labels
    "Cross-Origin-Opener-Policy": "same-origin",
}
_UNSET = object()
# The session a response writes to the cookie, kept in the request's own scope: `request.state` can be the
# app's lifespan state shared by every request (asgi-lifespan does that), and one request would then write
# another's session, the new refresh token included.
SESSION_TO_WRITE = "opsdesk.web_session"


def write_session(request: Request, session: WebSession | None) -> None:
    """The cookie this response sets: `session`, or None to end it."""
    request.scope[SESSION_TO_WRITE] = session


class WebEdgeMiddleware:
    def __init__(self, app: ASGIApp, *, codec: SessionCodec, secure_cookie: bool, max_age_s: int) -> None:
        self.app = app
        self.codec = codec
        self.secure_cookie = secure_cookie
        self.max_age_s = max_age_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if scope["path"].startswith(("/ui", "/login", "/logout")) or scope["path"] == "/":
                    headers["Cache-Control"] = "no-store"  # pages hold personal data: never cache them
                session = scope.get(SESSION_TO_WRITE, _UNSET)
                if session is not _UNSET:
                    headers.append("Set-Cookie", self._cookie(session))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _cookie(self, session: WebSession | None) -> str:
        flags = "Path=/; HttpOnly; SameSite=Strict" + ("; Secure" if self.secure_cookie else "")
        if session is None:
            return f"{COOKIE}=; Max-Age=0; {flags}"
        return f"{COOKIE}={self.codec.dumps(session)}; Max-Age={self.max_age_s}; {flags}"
