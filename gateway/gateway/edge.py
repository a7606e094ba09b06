"""What every request crossing the edge goes through: rate limits and the audit log of writes.

The client's address is the connection's peer, or, when the peer is a trusted proxy, the client it names
(uvicorn's ProxyHeadersMiddleware, outside this one: gateway/main.py).
"""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import structlog
from fastapi import Request, Response
from limits import parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.admin.models import ApiKey, AuditEntry
from gateway.admin.service import authenticate_api_key
from gateway.failure_audit import UnauthenticatedFailures
from gateway.rate_limits import RateLimits
from opsdesk_shared.audit_trail import CHANGES_HEADER, decode_changes
from opsdesk_shared.auth import TokenVerifier
from opsdesk_shared.errors import DomainError, problem_response
from opsdesk_shared.observability import correlation_id

log = structlog.get_logger(__name__)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The SMS provider's delivery receipts and replies: machine reports (two per message, millions a year),
# signature-checked and kept in full by notifications (sms_status_change, sms_inbound). Not user actions,
# so not written to the audit log a second time.
UNAUDITED_PREFIXES = ("/api/sms/webhooks/",)
# Set by a route that learns who the caller is only while serving it (sign-in): (user id, username).
AUDIT_ACTOR = "opsdesk.audit_actor"
# The API key the request presented verified as (None: none did), looked up once per request.
VERIFIED_API_KEY = "opsdesk.api_key"
# Every API key starts so (auth/tokens.py new_secret); an access token never does (a JWT starts "eyJ").
API_KEY_PREFIX = "odk_"


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def presented_api_key(request: Request) -> str | None:
    """The API key the caller presents, if any: `X-API-Key` on a request without Authorization, or the bearer
    credential when it is a key rather than an access token. Alertmanager (and most monitoring engines) can
    send a fixed credential only as `Authorization: Bearer …` (its http_config.authorization)."""
    auth = request.headers.get("authorization", "")
    if not auth:
        return request.headers.get("x-api-key") or None
    scheme, _, credential = auth.partition(" ")
    credential = credential.strip()
    if scheme.lower() == "bearer" and credential.startswith(API_KEY_PREFIX):
        return credential
    return None


async def verified_api_key(request: Request) -> ApiKey | None:
    """The live API key the request presents (`presented_api_key`), if any; the proxy uses the same verdict."""
    if VERIFIED_API_KEY not in request.scope:
        secret = presented_api_key(request)
        key = None
        if secret:
            async with request.app.state.sessions() as session:
                key = await authenticate_api_key(session, secret)
        request.scope[VERIFIED_API_KEY] = key
    verified: ApiKey | None = request.scope[VERIFIED_API_KEY]
    return verified


async def caller_identity(request: Request, verifier: TokenVerifier) -> tuple[str, str | None, str | None]:
    """(rate-limit key, actor id, actor name): a valid access token's user, else a valid API key, else the
    client's address. Only what was verified names a limit: a made-up token or key per request would
    otherwise get a fresh limit each time."""
    auth = request.headers.get("authorization", "")
    if presented_api_key(request) is not None:
        key = await verified_api_key(request)
        if key is not None:
            return f"key:{key.id}", str(key.id), f"api-key:{key.name}"
    elif auth.lower().startswith("bearer "):
        try:
            principal = verifier.verify(auth[7:])
            return f"user:{principal.subject}", str(principal.subject), principal.username
        except DomainError:
            pass
    return f"ip:{client_address(request)}", None, None


class EdgeMiddleware:
    """Plain ASGI rather than Starlette's BaseHTTPMiddleware, which runs every request through an extra
    task and memory streams (the gateway spent a fifth of its CPU there in `make bench`).

    The audit row of a write is committed when the response starts, before the client sees the answer."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: RateLimits,
        failures: UnauthenticatedFailures,
        rate_limit: str,
        login_rate_limit: str,
    ) -> None:
        self.app = app
        self.limits = limits
        self.failures = failures
        self.rate = parse(rate_limit)
        self.login_rate = parse(login_rate_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = scope["path"]
        verifier: TokenVerifier = request.app.state.token_verifier
        key, actor_id, actor_name = await caller_identity(request, verifier)
        if path == "/api/auth/login":
            allowed = await self.limits.allow(self.login_rate, "login", client_address(request))
        else:
            allowed = await self.limits.allow(self.rate, key)
        if not allowed:
            await _too_many(path)(scope, receive, send)
            return
        if request.method not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        if path.startswith(UNAUDITED_PREFIXES):

            async def send_without_changes(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message, _ = _take_changes(message)  # the provider has no business with our before/after
                await send(message)

            await self.app(scope, receive, send_without_changes)
            return

        async def send_after_audit(message: Message) -> None:
            if message["type"] == "http.response.start":
                actor = scope.get(AUDIT_ACTOR)
                who = (str(actor[0]), actor[1]) if actor is not None else (actor_id, actor_name)
                message, changes = _take_changes(message)
                if who == (None, None) and message["status"] >= 400:
                    status = message["status"]
                    self.failures.count(
                        client_address(request), _action(request.method, _raw_path(request), status), status
                    )
                else:
                    await self._audit(request, message["status"], *who, changes=changes)
            await send(message)

        await self.app(scope, receive, send_after_audit)

    async def _audit(
        self,
        request: Request,
        status: int,
        actor_id: str | None,
        actor_name: str | None,
        *,
        changes: list[dict[str, Any]] | None,
    ) -> None:
        entry = AuditEntry(
            at=datetime.now(UTC),
            actor_id=UUID(actor_id) if actor_id else None,
            actor_name=actor_name,
            # The path as sent (percent-encoded ASCII): a decoded one may hold NUL, which PostgreSQL refuses.
            action=_action(request.method, _raw_path(request), status),
            method=request.method,
            path=_raw_path(request)[:500],
            status=status,
            client_ip=request.client.host if request.client else None,
            request_id=correlation_id.get(),
            changes=changes,
        )
        try:
            await request.app.state.audit_appender.append(entry)
        except Exception as exc:  # the write itself already happened; never fail it for the audit row
            log.error("audit_write_failed", path=entry.path, error=repr(exc)[:200])


def _take_changes(message: Message) -> tuple[Message, list[dict[str, Any]] | None]:
    """The services' before/after (opsdesk_shared/audit_trail.py) off the response: kept for the audit log,
    never shown to the client."""
    name = CHANGES_HEADER.encode()
    headers = message.get("headers", [])
    values = [v for k, v in headers if k.lower() == name]
    if not values:
        return message, None
    kept = [(k, v) for k, v in headers if k.lower() != name]
    return {**message, "headers": kept}, decode_changes(values)


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    return raw.decode("latin-1") if raw else request.url.path


def _action(method: str, path: str, status: int) -> str:
    outcome = "ok" if status < 400 else "denied" if status in (401, 403, 423, 429) else "failed"
    if path == "/api/auth/login":
        return f"login.{outcome}"
    # "/api/tickets/<id>/confirm" -> "tickets.confirm": the resource names, without the ids.
    names = [p for p in path.removeprefix("/api/").split("/") if p and not _looks_like_id(p)]
    return f"{'.'.join(names[:3]) or 'root'}.{method.lower()}.{outcome}"


def _looks_like_id(segment: str) -> bool:
    return segment.isdigit() or (len(segment) == 36 and segment.count("-") == 4)


def _too_many(path: str) -> Response:
    return problem_response(
        429,
        "Too many requests",
        "rate limit exceeded; slow down",
        type_slug="rate-limited",
        code="rate_limited",
        instance=path,
        headers={"Retry-After": "1"},
    )
