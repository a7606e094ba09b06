"""`/api/...` that the gateway does not answer itself: forwarded to the service owning the path (proxy.py).

A caller presenting an API key (as X-API-Key, or as its bearer credential) gets a system token for the one
call, carrying the key's scopes, in place of the key.

Two ways in, one behaviour. `ForwardFirst`, the innermost of the app's middleware, forwards a request under a
service's prefix before FastAPI's router sees it: matching it against every route of the gateway's own and
the web UI's, then solving the catch-all's dependencies, was a sixth of the gateway's CPU per ticket in
`make bench` (FastAPI 0.165). No route of the gateway's own lies under a service's prefix
(test_forwarding.py checks). The catch-all route, registered last, answers the rest: an `/api/...` that
neither the gateway nor a service owns (404), and the requests `ForwardFirst` lets through.
"""

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.edge import presented_api_key, verified_api_key
from gateway.proxy import Proxy
from opsdesk_shared.errors import DomainError, NotFound, Unauthorized, domain_problem

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# System clients (API keys) get a token just long enough for the one proxied call.
SYSTEM_TOKEN_TTL_S = 60

router = APIRouter(include_in_schema=False)


@router.api_route("/api/{path:path}", methods=PROXY_METHODS)
async def forward(request: Request, path: str) -> Response:
    base = request.app.state.proxy.upstream_for(request.url.path)
    if base is None:
        raise NotFound(f"no route for {request.method} {request.url.path}", code="route.not_found")
    return await _forward(request, base)


# What request metrics name a forwarded request by (observability.py), whichever way in it took.
FORWARD_ROUTE = router.routes[0]
_METHODS = frozenset(PROXY_METHODS)


async def _forward(request: Request, base: str) -> Response:
    extra: dict[str, str] = {}
    if presented_api_key(request) is not None:
        key = await verified_api_key(request)  # the edge looked it up already
        if key is None:
            raise Unauthorized("invalid or revoked API key", code="auth.api_key_invalid")
        extra["Authorization"] = "Bearer " + request.app.state.issuer.access_token(
            subject=key.id,
            name=f"api-key:{key.name}",
            roles=["system"],
            unit_id=None,
            scopes=list(key.scopes),
            ttl_s=SYSTEM_TOKEN_TTL_S,
        )
    proxy: Proxy = request.app.state.proxy
    return await proxy.forward(request, base, extra_headers=extra)


class ForwardFirst:
    """Inside the edge (rate limits, the audit log) and the request context (request id, metrics), outside
    FastAPI's router: its errors are answered here as the app's handler answers them (problem+json)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _METHODS:
            await self.app(scope, receive, send)
            return
        base = scope["app"].state.proxy.upstream_for(scope["path"])
        if base is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = FORWARD_ROUTE
        request = Request(scope, receive)
        try:
            response = await _forward(request, base)
        except DomainError as exc:
            response = domain_problem(exc, request.url.path)
        await response(scope, receive, send)
