"""Server-sent events for open pages: nudges from the domain events, and the hotline's screen pops.

A stream lasts at most `STREAM_LIFETIME_S`; the browser then reconnects, which checks the session again
(so a stream never outlives a signed-out or timed-out session by more than that)."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import structlog
from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from gateway.web.api_client import ApiClient, ApiError
from gateway.web.context import Web, WebPage, role_guard
from gateway.web.live import LiveHub, Nudge
from gateway.web.live_scope import LiveScope, live_scope
from opsdesk_shared.auth import STAFF_ROLES, Role

router = APIRouter(prefix="/ui/live", include_in_schema=False)
log = structlog.get_logger(__name__)

HEARTBEAT_S = 15.0
# How long a new stream waits for the gateway's own queue to be bound before it starts anyway.
HUB_READY_WAIT_S = 5.0
COALESCE_S = 0.3
STREAM_LIFETIME_S = 300.0
STAFF_ESCALATIONS = ("dispatcher", "supervisor", "project_manager", "admin")
# Who hears that a spare part went below its minimum: the spares page re-reads its stock (the in-app notice).
SPARES_READERS = ("dispatcher", "admin", "project_manager", "engineer", "supervisor")
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def sse(event: str, data: str) -> bytes:
    lines = "".join(f"data: {line}\n" for line in (data.splitlines() or [""]))
    return f"event: {event}\n{lines}\n".encode()


async def scope_of(web: Web) -> LiveScope:
    """What this user may be nudged about, worked out once per stream (not per event): a requester's
    unit subtree is one read of the unit tree."""
    assert web.session is not None
    units: list[dict[str, Any]] = []
    if not web.session.has_any(*STAFF_ROLES) and web.session.has_any(Role.REQUESTER) and web.session.unit_id:
        try:
            units = await web.api.get("/api/admin/units")
        except ApiError:
            pass  # their own unit only, until the next reconnect
    return live_scope(web.session.roles, web.session.unit_id, units)


def locked_counts_for(web: Web, nudge: Nudge) -> list[tuple[str, str]]:
    """What a locked console hears: that a warning or breach fired, by its kind only (no ticket, no content)."""
    assert web.session is not None
    if nudge.topic in ("sla.warning", "sla.breached") and web.session.has_any(*STAFF_ESCALATIONS):
        return [("locked_escalation", "breach" if nudge.topic == "sla.breached" else "warning")]
    return []


def events_for(web: Web, scope: LiveScope, nudge: Nudge) -> list[tuple[str, str]]:
    """Which named events one nudge becomes for this user. Most carry no data: the page re-reads."""
    assert web.session is not None
    if web.session.locked:
        return locked_counts_for(web, nudge)
    if nudge.topic == "resync":
        return [("resync", "")]
    if nudge.topic.startswith("spares."):
        return [("spares", "")] if web.session.has_any(*SPARES_READERS) else []
    if nudge.topic.startswith("call."):
        # The hotline's call log is the whole desk's (not scoped by unit): its consoles re-read their list.
        return [("calls", "")] if web.session.has_any("hotline_operator") else []
    ticket_id = str(nudge.data.get("ticket_id") or "")
    if ticket_id and not scope.may_see(nudge.ticket_unit):
        return []  # not even "something changed": the ticket is none of this user's business
    out: list[tuple[str, str]] = []
    if nudge.topic.startswith("ticket."):
        out.append(("tickets", ""))
    if ticket_id:
        out.append((f"t-{ticket_id}", ""))  # a ticket's own page; its content is re-read through the API
    if web.session.has_any(*STAFF_ESCALATIONS):
        out.append(("queue", ""))
    if nudge.topic.startswith("workorder.") and str(nudge.data.get("engineer_id")) == web.session.user_id:
        out.append(("my-orders", ""))
    if nudge.topic in ("sla.warning", "sla.breached") and web.session.has_any(*STAFF_ESCALATIONS):
        out.append(("escalation", ""))  # the panel re-reads the open escalations from dispatch
    return out


async def _coalesced(web: Web, scope: LiveScope, queue: asyncio.Queue[Nudge], first: Nudge) -> list[tuple[str, str]]:
    """The nudges of the next `COALESCE_S`, each named event once: one ticket's creation is followed within
    milliseconds by its SLA clocks and SMS, and the page should re-read once, after the last of them (a
    client-side throttle would drop the last one, a debounce would starve under steady traffic)."""
    events = events_for(web, scope, first)
    deadline = time.monotonic() + COALESCE_S
    while (left := deadline - time.monotonic()) > 0:
        try:
            events += events_for(web, scope, await asyncio.wait_for(queue.get(), timeout=left))
        except TimeoutError:
            break
    if web.session is not None and web.session.locked:
        return events  # each escalation counts on the lock screen
    # Each named event once: a plain "re-read" nudge is needed once.
    return list(dict.fromkeys(events))


@router.get("/events")
async def events(web: WebPage) -> StreamingResponse:
    hub: LiveHub = web.request.app.state.live_hub
    scope = await scope_of(web)
    queue = hub.subscribe()

    async def stream() -> AsyncIterator[bytes]:
        ends_at = time.monotonic() + STREAM_LIFETIME_S
        try:
            try:
                await asyncio.wait_for(hub.ready.wait(), timeout=HUB_READY_WAIT_S)
            except TimeoutError:
                log.warning("live_updates_unavailable")  # the broker is away: the page works, only not live
            # Whatever changed between rendering the page and this moment was not nudged: every live part
            # of the page re-reads itself once now (and after every reconnect).
            yield b"retry: 3000\n" + sse("resync", "")
            while time.monotonic() < ends_at and not await web.request.is_disconnected():
                try:
                    nudge = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                for name, data in await _coalesced(web, scope, queue, nudge):
                    yield sse(name, data)
        finally:
            hub.unsubscribe(queue)

    return StreamingResponse(stream(), media_type="text/event-stream", headers=SSE_HEADERS)


@router.get("/screen-pops")
async def screen_pops(web: Web = role_guard("hotline_operator")) -> StreamingResponse:
    """Relays intake's screen-pop stream for this operator, each pop rendered as the caller card."""
    assert web.session is not None
    request = web.request
    token = web.session.access_token
    proxy = request.app.state.proxy
    url = request.app.state.settings.intake_url + "/api/cti/screen-pops"

    # The caller cards are read with this session's access token: the stream ends before it expires, and
    # the browser's reconnect brings a fresh one.
    lifetime = min(STREAM_LIFETIME_S, max(30.0, web.session.access_expires_at - time.time() - 5))

    async def stream() -> AsyncIterator[bytes]:
        try:
            async with proxy.session.get(
                url,
                headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
                timeout=aiohttp.ClientTimeout(total=lifetime, sock_read=HEARTBEAT_S * 3),
            ) as upstream:
                # Only now, with intake listening for this operator, does the console count as connected: a
                # named event, since the browser's own "open" fires with the headers, before intake listens.
                yield b"retry: 3000\nevent: connected\ndata: \n\n"
                event = ""
                async for raw in upstream.content:
                    line = raw.decode("utf-8", "replace").rstrip("\n")
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:") and event == "screen_pop":
                        pop = json.loads(line[5:])
                        if await _locked_now(web):
                            # Counted, not shown: the call's id only, which the page, once unlocked, asks for.
                            yield sse("locked_call", str(pop.get("call") or ""))
                        else:
                            yield sse("screen_pop", await caller_card(web, pop))
                    elif line.startswith(":"):
                        yield b": keep-alive\n\n"
                    elif not line:
                        event = ""
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("screen_pop_stream_ended", error=type(exc).__name__)

    return StreamingResponse(stream(), media_type="text/event-stream", headers=SSE_HEADERS)


async def _locked_now(web: Web) -> bool:
    """Locked, or idle past the limit since this stream's cookie was read, or locked since by the server
    (another request locked it meanwhile: the stream's copy of the session is the one it started with, so
    it errs towards counting, never showing)."""
    assert web.session is not None
    limit = web.request.app.state.settings.web_idle_timeout_s
    if web.session.locked or web.session.idle_for(time.time()) > limit:
        return True
    return await web.request.app.state.web_locks.locked_at(web.session.sid) is not None


async def caller_card(web: Web, pop: dict[str, object]) -> str:
    """Caller, their unit, recent calls and tickets: everything the operator needs before saying hello."""
    assert web.session is not None
    async with ApiClient(web.request, web.session.access_token) as api:
        try:
            history = await api.get(f"/api/callers/{pop['caller_phone']}")
            units = {u["id"]: u for u in await api.get("/api/admin/units")}
        except ApiError:
            history, units = {"calls": [], "open_tickets": [], "recent_tickets": [], "known_users": []}, {}
    return web.render_text("fragments/screen_pop.html", pop=pop, history=history, units=units)
