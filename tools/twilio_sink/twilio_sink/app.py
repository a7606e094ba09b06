"""A local Twilio-compatible Messages API, for development and tests (never production).

It speaks Twilio's wire format: form-encoded posts under basic auth, Twilio's JSON answers and error
codes, list filters used for reconciliation, and StatusCallback posts signed with X-Twilio-Signature
exactly as Twilio signs them. `/_sink/*` lets tests read what arrived and inject provider faults.
"""

import asyncio
import base64
import html
import itertools
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from twilio.request_validator import RequestValidator

API = "/2010-04-01/Accounts/{account_sid}/Messages"


@dataclass
class SinkConfig:
    auth_token: str
    account_sid: str | None = None  # None: accept any account sid with the right token
    callback_delays_s: tuple[float, float] = (0.02, 0.05)


@dataclass
class Fault:
    # "503" | "429" | "timeout" | "21211" | "accept-then-timeout"; "hold" keeps the message in the provider's
    # queue (status queued, no date_sent, no callbacks), "hold-then-timeout" also never answers the client.
    mode: str
    remaining: int
    to: str | None = None  # only messages to this number (tests sharing one sink)


@dataclass
class SinkState:
    messages: list[dict[str, Any]] = field(default_factory=list)
    by_sid: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    requests: int = 0
    callbacks: list[dict[str, Any]] = field(default_factory=list)


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
        status_code=status,
        headers=headers,
    )


def _segments(body: str) -> int:
    ucs2 = any(ord(c) > 127 for c in body)
    single, multi = (70, 67) if ucs2 else (160, 153)
    return 1 if len(body) <= single else -(-len(body) // multi)


def _filter_instant(value: str) -> datetime:
    """A DateSent filter's value: a date (`YYYY-MM-DD`, midnight GMT) or a date-time, as Twilio accepts."""
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).replace(microsecond=0)


def create_app(config: SinkConfig) -> FastAPI:
    app = FastAPI(title="Twilio-compatible sink (development only)", docs_url=None, redoc_url=None)
    state = SinkState()
    app.state.sink = state
    validator = RequestValidator(config.auth_token)
    counter = itertools.count(1)
    http: dict[str, aiohttp.ClientSession] = {}
    # The event loop keeps only weak references to tasks: a callback still waiting out its delay could be
    # collected before it posts.
    callbacks_due: set[asyncio.Task[None]] = set()

    def callback_session() -> aiohttp.ClientSession:
        # One session for every callback, made on first use (inside the running loop).
        if "s" not in http:
            http["s"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return http["s"]

    def authorised(request: Request, account_sid: str) -> bool:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("basic "):
            return False
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return (
            user == account_sid
            and password == config.auth_token
            and (config.account_sid is None or user == config.account_sid)
        )

    def resource(msg: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    async def post_callback(msg: dict[str, Any], status: str, delay: float) -> None:
        await asyncio.sleep(delay)
        msg["status"] = status
        # Twilio fills date_sent only when the message leaves its queue; until then it is null.
        msg["date_sent"] = msg["date_sent"] or format_datetime(datetime.now(UTC))
        msg["date_updated"] = format_datetime(datetime.now(UTC))
        url = msg["_status_callback"]
        if not url:
            return
        params = {
            "MessageSid": msg["sid"],
            "SmsSid": msg["sid"],
            "AccountSid": msg["account_sid"],
            "From": msg["from"] or "",
            "To": msg["to"],
            "MessageStatus": status,
            "SmsStatus": status,
            "ApiVersion": "2010-04-01",
        }
        signature = validator.compute_signature(url, params)
        try:
            async with callback_session().post(url, data=params, headers={"X-Twilio-Signature": signature}) as resp:
                state.callbacks.append({"sid": msg["sid"], "status": status, "answer": resp.status})
        except (aiohttp.ClientError, TimeoutError) as exc:
            state.callbacks.append({"sid": msg["sid"], "status": status, "answer": repr(exc)})

    @app.post(API + ".json")
    async def create_message(account_sid: str, request: Request) -> JSONResponse:
        state.requests += 1
        if not authorised(request, account_sid):
            return _error(401, 20003, "Authenticate")
        form = {k: str(v) for k, v in (await request.form()).items()}
        fault = next((f for f in state.faults if f.remaining > 0 and f.to in (None, form.get("To"))), None)
        accept_then_timeout = held = False
        if fault is not None:
            fault.remaining -= 1
            if fault.mode == "503":
                return _error(503, 20500, "Service unavailable")
            if fault.mode == "429":
                return _error(429, 20429, "Too Many Requests", headers={"Retry-After": "1"})
            if fault.mode == "timeout":  # hangs past any client's time-out and never takes the message
                await asyncio.sleep(120)
                return _error(503, 20500, "Service unavailable")
            if fault.mode == "21211":
                return _error(400, 21211, f"The 'To' number {form.get('To')} is not a valid phone number.")
            accept_then_timeout = fault.mode in ("accept-then-timeout", "hold-then-timeout")
            held = fault.mode in ("hold", "hold-then-timeout")
        to, body = form.get("To", ""), form.get("Body", "")
        if not to.startswith("+") or not to[1:].isdigit() or not 8 <= len(to) <= 16:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        now = datetime.now(UTC)
        sid = f"SM{secrets.token_hex(16)}"
        msg: dict[str, Any] = {
            "sid": sid,
            "account_sid": account_sid,
            "to": to,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": body,
            "status": "queued",
            "num_segments": str(_segments(body)),
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "price": None,
            "price_unit": "USD",
            "error_code": None,
            "error_message": None,
            "date_created": format_datetime(now),
            "date_updated": format_datetime(now),
            "date_sent": None,
            "uri": f"{API.format(account_sid=account_sid)}/{sid}.json",
            "subresource_uris": {},
            "_status_callback": form.get("StatusCallback"),
            "_received_at": time.time(),
            "_seq": next(counter),
        }
        state.messages.append(msg)
        state.by_sid[sid] = msg
        # A held message stays queued at the provider: no "sent", no sent date, no callbacks.
        statuses = () if held else zip(("sent", "delivered"), config.callback_delays_s, strict=True)
        for status, delay in statuses:
            task = asyncio.get_running_loop().create_task(post_callback(msg, status, delay))
            callbacks_due.add(task)
            task.add_done_callback(callbacks_due.discard)
        if accept_then_timeout:
            await asyncio.sleep(120)  # accepted, but the client never hears so
        return JSONResponse(resource(msg), status_code=201)

    @app.get(API + ".json")
    async def list_messages(account_sid: str, request: Request) -> JSONResponse:
        if not authorised(request, account_sid):
            return _error(401, 20003, "Authenticate")
        q = request.query_params
        items = [m for m in reversed(state.messages) if m["account_sid"] == account_sid]
        if q.get("To"):
            items = [m for m in items if m["to"] == q["To"]]
        # Twilio's only date filter is on the sent date: a message still queued (date_sent null) never matches.
        for name, keep in (("DateSent>", lambda sent, at: sent >= at), ("DateSent<", lambda sent, at: sent <= at)):
            if q.get(name):
                at = _filter_instant(q[name])
                items = [m for m in items if m["date_sent"] and keep(parsedate_to_datetime(m["date_sent"]), at)]
        size = int(q.get("PageSize", 50))
        uri = API.format(account_sid=account_sid) + ".json"
        return JSONResponse(
            {
                "messages": [resource(m) for m in items[:size]],
                "end": min(size, len(items)) - 1,
                "first_page_uri": uri,
                "next_page_uri": None,
                "page": 0,
                "page_size": size,
                "previous_page_uri": None,
                "start": 0,
                "uri": uri,
            }
        )

    @app.get(API + "/{sid}.json")
    async def fetch_message(account_sid: str, sid: str, request: Request) -> JSONResponse:
        if not authorised(request, account_sid):
            return _error(401, 20003, "Authenticate")
        msg = state.by_sid.get(sid)
        return JSONResponse(resource(msg)) if msg else _error(404, 20404, "The requested resource was not found")

    # ---- for developers and tests ----
    @app.get("/_sink/messages")
    async def sink_messages(count_only: bool = False) -> dict[str, Any]:
        if count_only:  # for load tests: the count without thousands of messages
            return {"count": len(state.messages), "requests": state.requests}
        return {
            "count": len(state.messages),
            "messages": [
                {**resource(m), "received_at": m["_received_at"], "status_callback": m["_status_callback"]}
                for m in state.messages
            ],
            "requests": state.requests,
            "callbacks": state.callbacks,
        }

    @app.delete("/_sink/messages", status_code=204)
    async def sink_reset() -> None:
        state.messages.clear()
        state.by_sid.clear()
        state.faults.clear()
        state.callbacks.clear()
        state.requests = 0

    @app.post("/_sink/faults", status_code=204)
    async def sink_fault(request: Request) -> None:
        body = await request.json()
        to = body.get("to")
        state.faults.append(
            Fault(mode=str(body["mode"]), remaining=int(body.get("count", 1)), to=str(to) if to else None)
        )

    @app.get("/", response_class=HTMLResponse)
    async def page() -> str:
        columns = ("date_created", "to", "body", "status")
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(str(m[k]))}</td>" for k in columns) + "</tr>"
            for m in reversed(state.messages[-200:])
        )
        return (
            "<!doctype html><meta charset=utf-8><title>SMS sink</title><h1>本地短信模拟网关（仅开发）</h1>"
            "<table border=1 cellpadding=4><tr><th>时间</th><th>收件人</th><th>内容</th><th>状态</th></tr>"
            f"{rows}</table>"
        )

    @app.on_event("shutdown")
    async def close() -> None:
        if "s" in http:
            await http["s"].close()

    return app
