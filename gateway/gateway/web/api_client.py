"""The web UI is a client of the public API: every page reads and writes through `/api/...` with the
signed-in user's token, in process (httpx's ASGI transport into this same gateway app). So a page can do
exactly what the user's role and unit may do through the API, nothing more; the services enforce it, and
every write is audited by the edge as the user's own call, from the browser's address."""

from typing import Any

import httpx
from fastapi import Request, Response

from gateway.web.i18n import DEFAULT_LANGUAGE, gettext_for, pick_language
from gateway.web.i18n.errors import GENERIC, error_message, generic_for
from gateway.web.session import LANG_COOKIE
from opsdesk_shared.observability import REQUEST_HEADER, correlation_id


class Message(str):
    """A message for the page as a whole that also carries each field's own: the form shows those beside
    their fields, and the page-level alert keeps only what no field of the form shows (macros.html
    `problem`, ui.js `placeErrors`), so each message appears once."""

    by_field: dict[str, str]

    def __new__(cls, text: str, by_field: dict[str, str] | None = None) -> "Message":
        message = super().__new__(cls, text)
        message.by_field = by_field or {}
        return message

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.by_field)


class ApiError(Exception):
    """A problem+json answer from the API, kept whole so a form can show each message by its field, in the
    user's language: the words come from the catalogue of the problem's `code` (i18n/errors.py), never
    from the API's English `detail` (kept for API clients and the logs)."""

    def __init__(self, status: int, problem: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.status = status
        self.problem = problem
        self.lang = lang

    @property
    def code(self) -> str:
        return str(self.problem.get("code") or generic_for(self.status))

    @property
    def api_detail(self) -> str:
        """The API's own English words."""
        return str(self.problem.get("detail") or self.problem.get("title") or f"HTTP {self.status}")

    def _words(self, code: str | None, params: dict[str, Any] | None) -> str:
        gettext = gettext_for(self.lang)
        known = error_message(code, params, gettext)
        if known is not None and not (self.lang == "en" and code in GENERIC and self.problem.get("detail")):
            return known
        if self.lang == "en" and self.problem.get("detail"):  # English UI, a code with generic words only
            return self.api_detail
        return error_message(generic_for(self.status), None, gettext) or ""

    def field_paths(self) -> dict[str, str]:
        """Full field path (`parts.0.unit_cost`) -> message, first per field, in the user's language."""
        fields: dict[str, str] = {}
        for error in self.problem.get("errors") or []:
            name = str(error.get("field") or "")
            if name and isinstance(error, dict):
                fields.setdefault(name, self._words(error.get("code"), error.get("params")))
        if self.problem.get("field"):
            fields.setdefault(str(self.problem["field"]), self._words(self.code, self.problem.get("params")))
        return fields

    def field_errors(self) -> dict[str, str]:
        """Form field name -> message: the first part of each path (`parts.0.unit_cost` -> `parts`)."""
        fields: dict[str, str] = {}
        for path, message in self.field_paths().items():
            fields.setdefault(path.split(".")[0], message)
        return fields

    @property
    def detail(self) -> Message:
        """The message for the page as a whole, in the user's language; it names the fields it covers."""
        fields = self.field_errors()
        errors = self.problem.get("errors") or []
        if errors and isinstance(errors[0], dict) and not self.problem.get("field"):
            text = self._words(errors[0].get("code"), errors[0].get("params"))
        else:
            text = self._words(self.code, self.problem.get("params"))
        return Message(text, fields)


def as_download(answer: httpx.Response) -> Response:
    """An API file answer passed to the browser: its bytes, type and file name."""
    keep = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "content-disposition")}
    return Response(answer.content, status_code=answer.status_code, headers=keep)


class ApiClient:
    def __init__(self, request: Request, access_token: str | None) -> None:
        client_ip = request.client.host if request.client else "127.0.0.1"
        self.lang = pick_language(request.cookies.get(LANG_COOKIE))  # the language its errors are worded in
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

    def error_of(self, response: httpx.Response) -> ApiError:
        """The refusal in an API answer (status >= 400), for the page to show in the user's language."""
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.reason_phrase, "status": response.status_code}
        problem = problem if isinstance(problem, dict) else {"detail": str(problem)}
        return ApiError(response.status_code, problem, self.lang)

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise self.error_of(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params={k: v for k, v in params.items() if v not in (None, "")})

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return await self.call("POST", path, json=json, **kwargs)
