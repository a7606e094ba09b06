"""`/api/...` that the gateway does not answer itself: forwarded to the service owning the path (proxy.py).

A caller presenting an API key (as X-API-Key, or as its bearer credential) gets a system token for the one
call, carrying the key's scopes, in place of the key.
Registered last: every route of the gateway's own comes first.
"""

from fastapi import APIRouter, Request
from starlette.responses import Response

from gateway.edge import presented_api_key, verified_api_key
from opsdesk_shared.errors import NotFound, Unauthorized

PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
# System clients (API keys) get a token just long enough for the one proxied call.
SYSTEM_TOKEN_TTL_S = 60

router = APIRouter(include_in_schema=False)


@router.api_route("/api/{path:path}", methods=PROXY_METHODS)
async def forward(request: Request, path: str) -> Response:
    proxy = request.app.state.proxy
    base = proxy.upstream_for(request.url.path)
    if base is None:
        raise NotFound(f"no route for {request.method} {request.url.path}", code="route.not_found")
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
    response: Response = await proxy.forward(request, base, extra_headers=extra)
    return response
