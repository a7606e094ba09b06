"""The web UI is a client of the public API: every page reads and writes through `/api/...` with the
signed-in user's token, in process (httpx's ASGI transport into this same gateway app). So a page can do
exactly what the user's role and unit may do through the API, nothing more; the services enforce it, and
every write is audited by the edge as the user's own call, from the browser's address."""

from typing import Any

import httpx
from fastapi import Request, Response

from opsdesk_shared.observability import REQUEST_HEADER, correlation_id


class ApiError(Exception):
    """A problem+json answer from the API, kept whole so a form can show each message by its field."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.status = status
        self.problem = problem

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or f"HTTP {self.status}")

    def field_errors(self) -> dict[str, str]:
        """Field name -> message, from the problem's `errors` (validation) or its `field` (a rule)."""
        fields: dict[str, str] = {}
        for error in self.problem.get("errors") or []:
            name = str(error.get("field") or "").split(".")[0]
            if name:
                fields.setdefault(name, str(error.get("message") or ""))
        if self.problem.get("field"):
            fields.setdefault(str(self.problem["field"]), self.detail)
        return fields


def as_download(answer: httpx.Response) -> Response:
    """An API file answer passed to the browser: its bytes, type and file name."""
    keep = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "content-disposition")}
    return Response(answer.content, status_code=answer.status_code, headers=keep)


class ApiClient:
    def __init__(self, request: Request, access_token: str | None) -> None:
        client_ip = request.client.host if request.client else "127.0.0.1"
        headers = {REQUEST_HEADER: correlation_id.get() or ""}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=request.app, client=(client_ip, 0)),
            base_url="http://gateway.internal",
            headers=headers,
            timeout=30,
        )

    async def __aenter__(self) -> "ApiClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self._client.request(method, path, **kwargs)

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._client.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "status": response.status_code}
            raise ApiError(response.status_code, problem if isinstance(problem, dict) else {"detail": str(problem)})
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return await self.call("POST", path, json=json, **kwargs)
