"""The web UI's cookie session: the user's API tokens in a signed, HttpOnly, SameSite=Strict cookie.

The browser never sees a token it could leak to script. Every page is rendered by calling the public API
with the access token; it is refreshed (and the refresh token rotated) shortly before it expires. A session
idle for longer than `web_idle_timeout_s` (default 15 minutes, MLPS level 3) is locked, not ended: live-update
requests (`X-Live-Refresh`) and the event streams do not count as activity, only what the user does. A locked
session opens nothing but the lock screen, whose streams count calls and escalations without their content,
and the unlock, which is a fresh sign-in of the same user (web/pages/lock.py).
"""

import secrets
import time
from dataclasses import asdict, dataclass, field

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request

COOKIE = "opsdesk_session"
LANG_COOKIE = "opsdesk_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LIVE_HEADER = "x-live-refresh"


@dataclass
class WebSession:
    access_token: str
    refresh_token: str
    access_expires_at: float
    last_seen_at: float
    csrf: str
    user_id: str
    username: str
    display_name: str
    roles: list[str]
    unit_id: str | None
    # The API gave a token good only for changing the password (expired, or first sign-in in production).
    password_change_required: bool = False
    # ...or only for enrolling the second factor (TOTP), which the user's roles require.
    totp_enrolment_required: bool = False
    # When the idle limit locked the session (epoch seconds); None while unlocked.
    locked_at: float | None = None
    # This sign-in's own id, under which the server keeps the lock (web/session_locks.py). A cookie from
    # before ids existed gets one at its next request.
    sid: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def locked(self) -> bool:
        return self.locked_at is not None

    @property
    def setup_page(self) -> str | None:
        """Where the user must go before any console opens, if anywhere."""
        if self.password_change_required:
            return "/ui/password"
        if self.totp_enrolment_required:
            return "/ui/totp"
        return None

    def idle_for(self, now: float) -> float:
        return now - self.last_seen_at

    def has_any(self, *roles: str) -> bool:
        return bool(set(self.roles).intersection(roles))


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


class SessionCodec:
    """Signs with the session key (`OPSDESK_WEB_SESSION_KEY_FILE`), which serves nothing else: replacing it
    ends every web session and leaves tokens and TOTP enrolments alone."""

    def __init__(self, key: bytes) -> None:
        self._serializer = URLSafeSerializer(key, salt="web-session")

    def dumps(self, session: WebSession) -> str:
        return self._serializer.dumps(asdict(session))

    def from_request(self, request: Request) -> WebSession | None:
        return self.loads(request.cookies.get(COOKIE))

    def loads(self, cookie: str | None) -> WebSession | None:
        if not cookie:
            return None
        try:
            return WebSession(**self._serializer.loads(cookie))
        except (BadSignature, TypeError):
            return None


def now() -> float:
    return time.time()
