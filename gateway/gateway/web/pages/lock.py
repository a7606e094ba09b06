"""The lock screen: a console idle past `OPSDESK_WEB_IDLE_TIMEOUT_S` (MLPS) is locked, not signed out, so a
7×24 post keeps counting what arrives while nobody is at the desk ("1 个来电, 1 个超时"), and its user
unlocks it in place with the password (and TOTP code where enrolled).

Unlocking is a fresh sign-in of the same user: a new refresh-token family, the locked session's family
revoked, and the 12-hour session lifetime counted from this sign-in. Another account cannot take the
locked console over. The lock is the server's (web/context.py refuses every other page and fragment to a
locked session); the page only shows it."""

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from gateway.web import session as sessions
from gateway.web.api_client import ApiClient, ApiError
from gateway.web.context import Web, WebPage
from gateway.web.navigation import home_for
from gateway.web.pages.auth import _safe_next, _same_origin, _session_from
from gateway.web.security import write_session

router = APIRouter(include_in_schema=False)
# What a locked hotline console may carry back to the page after unlocking: the calls that rang (ids only).
MAX_POPS = 20


def _render(web: Web, next_path: str, status_code: int = 200, **extra: object) -> Response:
    assert web.session is not None
    return web.render(
        "lock.html",
        status_code=status_code,
        next=_safe_next(next_path) or home_for(web.session.roles),
        username=web.session.username,
        counts_calls=web.session.has_any("hotline_operator"),
        counts_escalations=web.session.has_any("dispatcher", "supervisor", "project_manager", "admin"),
        nav=[],  # nothing of the consoles behind the lock
        lock_screen=True,  # its own count-only streams (static/ui.js), not the console's
        **extra,
    )


@router.get("/ui/lock")
async def lock_screen(web: WebPage, next: str = "") -> Response:
    assert web.session is not None
    if web.session.locked_at is None:  # locked by hand ("锁屏"), or the page's idle timer ran a moment early
        web.session.locked_at = sessions.now()
        write_session(web.request, web.session)
    # Kept by the server too, so that no answer to a request sent before the lock reopens the console.
    await web.request.app.state.web_locks.lock(web.session.sid, web.session.locked_at)
    return _render(web, next)


@router.post("/ui/unlock")
async def unlock(
    web: WebPage,
    password: Annotated[str, Form(max_length=256)] = "",
    otp: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    pops: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    locked = web.session
    assert locked is not None
    if not _same_origin(web.request):
        return _render(web, next, status_code=403, error=web._("请求来源无效。"))
    credentials = {"username": locked.username, "password": password}
    if otp.strip():
        credentials["otp"] = otp.strip()
    try:
        # The same account name as the locked session: nobody else's password opens it. A wrong password
        # counts toward the account's lockout exactly as at the sign-in page (it is the same API call).
        pair = await web.api.post("/api/auth/login", credentials)
    except ApiError as exc:
        if exc.problem.get("rule") == "otp-required":
            return _render(web, next, status_code=401, ask_otp=True, error=web._("请输入验证器中的 6 位动态口令。"))
        error = {
            401: web._("密码错误。"),
            423: web._("登录失败次数过多，账号已暂时锁定，请 15 分钟后再试。"),
            429: web._("尝试过于频繁，请稍后再试。"),
            422: web._("请输入密码。"),
        }.get(exc.status, web._("解锁暂时不可用，请稍后再试。"))
        return _render(web, next, status_code=exc.status, error=error, ask_otp=bool(otp.strip()))
    fresh = await _session_from(web.request, pair)
    if fresh.user_id != locked.user_id:  # the account was replaced under the same name: not this session's user
        async with ApiClient(web.request, fresh.access_token) as api:
            await api.post("/api/auth/logout", {"refresh_token": fresh.refresh_token})
        return _render(web, next, status_code=403, error=web._("只有锁屏前登录的用户可以解锁。"))
    # The locked session's tokens end here: from now on only the fresh sign-in's family lives.
    try:
        await web.api.post("/api/auth/logout", {"refresh_token": locked.refresh_token})
    except ApiError:
        pass  # already over (revoked, or past its lifetime): nothing left to end
    write_session(web.request, fresh)
    target = _safe_next(next) or home_for(fresh.roles)
    ids = [p for p in pops.split(",") if p and len(p) <= 64][-MAX_POPS:]
    if ids and target.startswith("/ui/hotline"):
        target = "/ui/hotline?pops=" + ",".join(ids)  # the console shows the calls that rang meanwhile
    return RedirectResponse(target, status_code=303)
