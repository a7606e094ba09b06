"""Reverse proxy to the services by path prefix (SPEC §7).

aiohttp's client with one pooled keep-alive connector: on this machine httpx's AsyncClient proxied
~500 req/s where aiohttp did ~4,000 (encode/httpx#3215). Small bodies are buffered (the common JSON
case, cheapest), large or chunked ones are streamed both ways.
"""

import time
from collections.abc import AsyncIterator

import aiohttp
import structlog
from fastapi import Request
from starlette.background import BackgroundTask
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse
from yarl import URL

from opsdesk_shared.errors import DomainError, PayloadTooLarge, ServiceUnavailable
from opsdesk_shared.observability import REQUEST_HEADER, correlation_id

log = structlog.get_logger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
BUFFER_LIMIT = 1024 * 1024
# Answers that never carry a body (RFC 9110 §15.3.5, §15.4.5).
NO_BODY_STATUSES = frozenset({204, 304})


class Proxy:
    def __init__(self, routes: list[tuple[str, str]], *, timeout_s: float, max_body_bytes: int) -> None:
        self.routes = sorted(routes, key=lambda r: len(r[0]), reverse=True)
        # No total limit (server-sent events stay open); a silent upstream still times out between reads.
        self.timeout = aiohttp.ClientTimeout(total=None, connect=5, sock_read=timeout_s)
        self.max_body_bytes = max_body_bytes
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=512, limit_per_host=256, keepalive_timeout=60, ttl_dns_cache=300)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=self.timeout, auto_decompress=False, skip_auto_headers=("User-Agent",)
        )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    def upstream_for(self, path: str) -> str | None:
        for prefix, base in self.routes:
            if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "?"):
                return base
        return None

    async def forward(self, request: Request, base: str, *, extra_headers: dict[str, str] | None = None) -> Response:
        assert self.session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        headers[REQUEST_HEADER] = correlation_id.get() or ""
        # The client's address as the gateway established it (a trusted proxy's word, or the peer), and only
        # that: addresses the client wrote into the header itself are not passed on as if they were facts.
        headers.pop("x-forwarded-for", None)
        headers["X-Forwarded-For"] = request.client.host if request.client else ""
        for name, value in (extra_headers or {}).items():  # in place of the client's own (e.g. its API key bearer)
            for same in [k for k in headers if k.lower() == name.lower()]:
                del headers[same]
            headers[name] = value
        # The path exactly as the client sent it, still percent-encoded: the decoded one can hold control
        # characters (%0D, %1F…) that must reach the service as the escapes they arrived as.
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        # The query too, byte for byte: yarl's `with_query` would encode its escapes again (%2B → %252B), so
        # `?requester_phone=%2B86…` or a Chinese search term would reach the service garbled.
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        url = URL(base + raw_path.decode("latin-1") + (f"?{raw_query}" if raw_query else ""), encoded=True)

        declared = int(request.headers.get("content-length") or 0)
        if declared > self.max_body_bytes:
            raise PayloadTooLarge(f"request body exceeds {self.max_body_bytes} bytes", code="payload_too_large")
        data: bytes | object | None
        if request.method in ("GET", "HEAD", "DELETE", "OPTIONS") and not declared:
            data = None
        elif declared and declared <= BUFFER_LIMIT:
            try:
                data = await request.body()
            except ClientDisconnect:  # the caller gave up while sending; nobody is left to answer
                log.info("client_disconnected", path=request.url.path)
                return Response(status_code=499)
        else:
            data = self._limited_stream(request)
        started = time.monotonic()
        try:
            try:
                upstream = await self.session.request(
                    request.method, url, headers=headers, data=data, allow_redirects=False
                )
            except aiohttp.ServerDisconnectedError:
                if not isinstance(data, bytes | None):
                    raise  # a streamed body cannot be sent twice
                # A pooled keep-alive connection the service had just closed (it closes one after answering a
                # request whose body it did not read): the request never reached it. Once more, on a new one.
                log.info("upstream_reconnect", upstream=base)
                upstream = await self.session.request(
                    request.method, url, headers=headers, data=data, allow_redirects=False
                )
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            # Which failure, and when: a refused connect, a reset, a connect timeout (5 s, pool wait included) and
            # a read timeout (sock_read) call for different fixes.
            log.warning(
                "upstream_unavailable",
                upstream=base,
                method=request.method,
                error=type(exc).__name__,
                detail=str(exc)[:200],
                after_s=round(time.monotonic() - started, 2),
            )
            raise ServiceUnavailable(
                "the service behind this route is unavailable; retry later", code="unavailable"
            ) from exc
        except ValueError as exc:  # aiohttp refuses what could smuggle a header (CR, LF in the target)
            raise DomainError(
                "the request target cannot be forwarded: it holds forbidden characters", code="request.target_invalid"
            ) from exc

        response_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        length = upstream.content_length
        if length is None and upstream.status in NO_BODY_STATUSES:
            # No Content-Length on a 204 (the SMS provider's two receipts per message answer so): there is no
            # body to stream, and the streaming path cost a response task and a thread-pool hop to release.
            length = 0
        if length is not None and length <= BUFFER_LIMIT:
            body = await upstream.read()
            upstream.release()
            return Response(body, status_code=upstream.status, headers=response_headers)
        response_headers.pop("Content-Length", None)
        return StreamingResponse(
            upstream.content.iter_any(),
            status_code=upstream.status,
            headers=response_headers,
            background=BackgroundTask(upstream.release),
        )

    async def _limited_stream(self, request: Request) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > self.max_body_bytes:
                raise PayloadTooLarge(f"request body exceeds {self.max_body_bytes} bytes", code="payload_too_large")
            yield chunk
