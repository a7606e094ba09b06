"""The web UI's session cookie and its refresh, through the gateway's pages (HTTP, real database).

The gateway here issues access tokens of 60 s, inside the web layer's refresh margin: every page request
rotates the session's tokens, so the shared-refresh path runs on every call."""

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment

from .conftest import ADMIN_PASSWORD, NO_SERVICES, running_gateway
from .test_account_rules import MakeUser

PASSWORD = "Right-passw0rd"
BROWSER = {"User-Agent": "Mozilla/5.0 (the user's browser)"}
ELSEWHERE = {"User-Agent": "curl/8.5 (someone holding a copy of an old cookie)"}
COOKIE = re.compile(r"opsdesk_session=([^;]*)")


@pytest.fixture(scope="module")
async def web(migrated: RunEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    settings = migrated.settings(
        GatewaySettings,
        jwt_private_key_file=migrated.private_key_file,
        admin_password=ADMIN_PASSWORD,
        access_token_ttl_s=60,
        rate_limit="1000/second",
        login_rate_limit="1000/minute",
        **NO_SERVICES,
    )
    async with running_gateway(settings) as client:
        yield client


def session_cookie(resp: httpx.Response) -> str | None:
    """The session cookie the response sets: its value, '' when it ends the session, None if untouched."""
    for header in resp.headers.get_list("set-cookie"):
        if match := COOKIE.match(header):
            return match.group(1)
    return None


async def sign_in(web: httpx.AsyncClient, username: str) -> str:
    resp = await web.post("/login", data={"username": username, "password": PASSWORD}, headers=BROWSER)
    assert resp.status_code == 303, resp.text
    cookie = session_cookie(resp)
    assert cookie
    return cookie


async def page(web: httpx.AsyncClient, cookie: str, headers: dict[str, str]) -> httpx.Response:
    return await web.get("/ui/profile", headers={**headers, "Cookie": f"opsdesk_session={cookie}"})


async def test_an_old_cookie_presented_elsewhere_gets_no_new_tokens_and_ends_the_session(
    web: httpx.AsyncClient, make_user: MakeUser
) -> None:
    old = await sign_in(web, await make_user(["dispatcher"], PASSWORD))
    first = await page(web, old, BROWSER)
    assert first.status_code == 200
    current = session_cookie(first)
    assert current and current != old  # rotated: the browser now holds the new refresh token
    # A copy of the old cookie, within the sharing window, from another client: no page, no tokens.
    stolen = await page(web, old, ELSEWHERE)
    assert stolen.status_code == 303 and stolen.headers["location"].startswith("/login")
    assert session_cookie(stolen) == ""
    # The old token was taken for a theft: the session is over for its owner too (sign in again).
    after = await page(web, current, BROWSER)
    assert after.status_code == 303 and "reason=expired" in after.headers["location"]


async def test_a_pages_parallel_requests_share_one_rotation_and_only_one_sets_the_cookie(
    web: httpx.AsyncClient, make_user: MakeUser
) -> None:
    old = await sign_in(web, await make_user(["engineer"], PASSWORD))
    answers = await asyncio.gather(*(page(web, old, BROWSER) for _ in range(3)))
    assert [a.status_code for a in answers] == [200, 200, 200]
    cookies = [c for c in map(session_cookie, answers) if c is not None]
    assert len(cookies) == 1, "only the request that rotated hands the browser the new refresh token"
    assert (await page(web, cookies[0], BROWSER)).status_code == 200
