"""The web console's lock (web/pages/lock.py), through the gateway's pages on the real database: a session
idle past `OPSDESK_WEB_IDLE_TIMEOUT_S` is locked, not ended; the server refuses it every page and fragment
but the lock screen; unlocking is a fresh sign-in of the same user (a new refresh-token family, the old one
revoked), and a wrong password there counts toward the account's lockout like one at the sign-in page."""

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from gateway.config import GatewaySettings
from gateway.keys import read_session_key
from gateway.web.session import SessionCodec, WebSession
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import ADMIN_PASSWORD, NO_SERVICES, running_gateway
from .test_account_rules import MakeUser

PASSWORD = "Right-passw0rd"
COOKIE = re.compile(r"opsdesk_session=([^;]*)")
BROWSER = {"User-Agent": "Mozilla/5.0 (the night operator's browser)"}


@dataclass
class Gateway:
    client: httpx.AsyncClient
    codec: SessionCodec
    idle_s: int


@pytest.fixture(scope="module")
async def gw(migrated: RunEnvironment) -> AsyncIterator[Gateway]:
    settings = migrated.settings(
        GatewaySettings,
        jwt_private_key_file=migrated.private_key_file,
        admin_password=ADMIN_PASSWORD,
        rate_limit="1000/second",
        login_rate_limit="1000/minute",
        **NO_SERVICES,
    )
    codec = SessionCodec(read_session_key(settings.web_session_key_file))
    async with running_gateway(settings) as client:
        yield Gateway(client, codec, settings.web_idle_timeout_s)


def set_cookie(resp: httpx.Response) -> str | None:
    for header in resp.headers.get_list("set-cookie"):
        if match := COOKIE.match(header):
            return match.group(1)
    return None


async def signed_in(gw: Gateway, username: str) -> WebSession:
    resp = await gw.client.post("/login", data={"username": username, "password": PASSWORD}, headers=BROWSER)
    assert resp.status_code == 303, resp.text
    session = gw.codec.loads(set_cookie(resp))
    assert session is not None
    return session


def idle(gw: Gateway, session: WebSession) -> str:
    """The cookie as the browser holds it after the idle limit passed (what time would do)."""
    session.last_seen_at = time.time() - gw.idle_s - 5
    return gw.codec.dumps(session)


async def get(gw: Gateway, path: str, cookie: str, **headers: str) -> httpx.Response:
    return await gw.client.get(path, headers={**BROWSER, **headers, "Cookie": f"opsdesk_session={cookie}"})


async def unlock(gw: Gateway, cookie: str, session: WebSession, password: str, **extra: str) -> httpx.Response:
    return await gw.client.post(
        "/ui/unlock",
        data={"password": password, "csrf_token": session.csrf, "next": "/ui/profile", **extra},
        headers={**BROWSER, "Cookie": f"opsdesk_session={cookie}"},
    )


async def locked(gw: Gateway, username: str) -> tuple[WebSession, str]:
    """Signed in, idle past the limit, and locked by the next request; returns the session and its cookie."""
    session = await signed_in(gw, username)
    first = await get(gw, "/ui/profile", idle(gw, session))
    assert first.status_code == 303
    assert first.headers["location"] == "/ui/lock?next=" + quote("/ui/profile", safe="")
    cookie = set_cookie(first)
    assert cookie, "the lock is kept in the session cookie"
    locked_session = gw.codec.loads(cookie)
    assert locked_session is not None and locked_session.locked_at is not None
    return locked_session, cookie


async def test_a_locked_session_gets_the_lock_screen_and_nothing_else(gw: Gateway, make_user: MakeUser) -> None:
    session, cookie = await locked(gw, await make_user(["hotline_operator"], PASSWORD))
    # Pages go to the lock screen; fragments and writes get 401, even once the browser is "active" again
    # (being active does not unlock: only the password does).
    for path in ("/ui/profile", "/ui/hotline", "/ui/dispatch"):
        answer = await get(gw, path, cookie)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/lock?next="), path
    for path in ("/ui/hotline/pop?call=x", "/ui/dispatch/escalations", "/ui/portal/tickets"):
        answer = await get(gw, path, cookie, **{"HX-Request": "true"})
        assert answer.status_code == 401 and answer.headers["x-session-locked"] == "1", path
        assert "测试用户" not in answer.text
    write = await gw.client.post(
        "/ui/hotline/calls",
        data={"csrf_token": session.csrf},
        headers={**BROWSER, "Cookie": f"opsdesk_session={cookie}", "HX-Request": "true"},
    )
    assert write.status_code == 401
    screen = await get(gw, "/ui/lock?next=/ui/hotline", cookie)
    assert screen.status_code == 200 and "控制台已锁定" in screen.text
    assert "测试用户" not in screen.text  # nothing personal: not even the display name in the header
    assert 'data-count="calls"' in screen.text


async def test_a_wrong_password_does_not_unlock_and_counts_toward_the_lockout(gw: Gateway, make_user: MakeUser) -> None:
    username = await make_user(["hotline_operator"], PASSWORD)
    session, cookie = await locked(gw, username)
    wrong = await unlock(gw, cookie, session, "Wrong-passw0rd")
    assert wrong.status_code == 401 and "密码错误" in wrong.text
    renewed = set_cookie(wrong)
    if renewed not in (None, cookie):  # a new cookie, if any, still carries the lock
        assert renewed is not None and (renewed_session := gw.codec.loads(renewed)) is not None
        assert renewed_session.locked_at is not None
    assert (await get(gw, "/ui/profile", cookie)).status_code == 303  # still locked
    # Another person's password for their own account does not open this console either: the lock screen
    # signs in the locked session's user, whatever username a form sends.
    other = await make_user(["hotline_operator"], "Other-passw0rd1")
    refused = await unlock(gw, cookie, session, "Other-passw0rd1", username=other)
    assert refused.status_code == 401
    # Four more wrong passwords (five in all with the one above; six counting the other's): the account is
    # locked out, and now even the right password is refused, at the lock screen as at the sign-in page.
    for _ in range(3):
        assert (await unlock(gw, cookie, session, "Wrong-passw0rd")).status_code == 401
    lockout = await unlock(gw, cookie, session, PASSWORD)
    assert lockout.status_code == 423, lockout.text
    signin = await gw.client.post("/login", data={"username": username, "password": PASSWORD}, headers=BROWSER)
    assert signin.status_code == 423


async def test_unlocking_is_a_fresh_sign_in_and_ends_the_locked_sessions_tokens(
    gw: Gateway, make_user: MakeUser
) -> None:
    session, cookie = await locked(gw, await make_user(["hotline_operator"], PASSWORD))
    no_csrf = await gw.client.post(
        "/ui/unlock", data={"password": PASSWORD}, headers={**BROWSER, "Cookie": f"opsdesk_session={cookie}"}
    )
    assert no_csrf.status_code == 403
    opened = await unlock(gw, cookie, session, PASSWORD)
    assert opened.status_code == 303 and opened.headers["location"] == "/ui/profile"
    fresh = gw.codec.loads(set_cookie(opened))
    assert fresh is not None and fresh.locked_at is None and fresh.user_id == session.user_id
    assert fresh.refresh_token != session.refresh_token and fresh.csrf != session.csrf
    # The locked session's refresh token is dead (its family revoked); the fresh sign-in's lives.
    old = await gw.client.post("/api/auth/refresh", json={"refresh_token": session.refresh_token})
    assert old.status_code == 401
    page = await get(gw, "/ui/profile", set_cookie(opened) or "")
    assert page.status_code == 200 and "测试用户" in page.text
    new = await gw.client.post("/api/auth/refresh", json={"refresh_token": fresh.refresh_token})
    assert new.status_code == 200


async def test_a_cookie_from_before_the_lock_does_not_reopen_the_console(gw: Gateway, make_user: MakeUser) -> None:
    """The lock is kept by the server, not only in the cookie: a request the page sent before the lock (a
    live refresh, a fragment) carries the unlocked cookie and, answered after the lock screen, used to set
    it again, so the lock screen's stream took the console for open and its count of calls stayed 0."""
    session = await signed_in(gw, await make_user(["hotline_operator"], PASSWORD))
    before = gw.codec.dumps(session)
    screen = await get(gw, "/ui/lock?next=/ui/hotline", before)  # the page's idle timer locked it
    assert screen.status_code == 200 and "控制台已锁定" in screen.text
    late = await get(gw, "/ui/profile", before)  # sent before the lock, answered after it
    assert late.status_code == 303 and late.headers["location"].startswith("/ui/lock?next=")
    resent = gw.codec.loads(set_cookie(late))
    assert resent is None or resent.locked_at is not None  # the cookie it sets is a locked one
    fragment = await get(gw, "/ui/hotline/calls", before, **{"HX-Request": "true", "X-Live-Refresh": "1"})
    assert fragment.status_code == 401 and fragment.headers["x-session-locked"] == "1"
    # Only the password opens it, and then the fresh session is unlocked.
    opened = await unlock(gw, before, session, PASSWORD)
    assert opened.status_code == 303
    page = await get(gw, "/ui/profile", set_cookie(opened) or "")
    assert page.status_code == 200
