"""Domain errors and their one translation into RFC 9457 problem+json.

Services raise `DomainError` subclasses; `install_error_handlers(app)` renders them. Validation errors
name the offending field; infrastructure outages answer 503 with Retry-After; nothing answers a bare 500
without a problem body.
"""

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)


class DomainError(Exception):
    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class NotFound(DomainError):
    status, title, type_slug = 404, "Not found", "not-found"


class Conflict(DomainError):
    status, title, type_slug = 409, "Conflict", "conflict"


class RuleViolation(DomainError):
    status, title, type_slug = 422, "Rule violated", "rule-violation"


class Unauthorized(DomainError):
    status, title, type_slug = 401, "Not authenticated", "unauthorized"


class Forbidden(DomainError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class Locked(DomainError):
    status, title, type_slug = 423, "Account locked", "locked"


class TooManyRequests(DomainError):
    status, title, type_slug = 429, "Too many requests", "rate-limited"


class PayloadTooLarge(DomainError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class ServiceUnavailable(DomainError):
    status, title, type_slug = 503, "Service unavailable", "unavailable"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_slug: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://opsdesk.local/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    # ("body", "requester_phone") -> "requester_phone"; ("query", "limit") -> "limit"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0]) if loc else ""


def validation_problem(exc: RequestValidationError, instance: str) -> JSONResponse:
    errors = []
    for err in exc.errors():
        field = _field_path(tuple(err.get("loc", ())))
        errors.append({"field": field, "message": err.get("msg", "invalid"), "type": err.get("type")})
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return problem_response(422, "Invalid request", detail, type_slug="validation", instance=instance, errors=errors)


_OUTAGE_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, OSError, TimeoutError)


def _is_outage(exc: BaseException) -> bool:
    """True for a lost database or broker connection: the caller may retry later."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):  # PoolTimeout: every connection busy
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(
        exc,
        (
            asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.ConnectionDoesNotExistError,
            asyncpg.exceptions.TooManyConnectionsError,  # the server is full: a retry later may well work
        ),
    ):
        return True
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, _OUTAGE_ERRORS):
        return True
    return cause is not None and cause is not exc and _is_outage(cause)


def _is_unstorable_text(exc: BaseException | None, depth: int = 0) -> bool:
    """Text PostgreSQL cannot hold: a NUL character, or half of a UTF-16 surrogate pair (JSON allows
    both as escapes). Found when the statement runs, so the transaction is rolled back whole."""
    import asyncpg

    if exc is None or depth > 5:
        return False
    if isinstance(
        exc,
        (
            UnicodeEncodeError,
            asyncpg.exceptions.CharacterNotInRepertoireError,
            asyncpg.exceptions.UntranslatableCharacterError,
        ),
    ):
        return True
    orig = getattr(exc, "orig", None)
    return _is_unstorable_text(orig, depth + 1) or _is_unstorable_text(exc.__cause__, depth + 1)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"Retry-After": "5"} if exc.status in (429, 503) else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            type_slug=exc.type_slug,
            instance=request.url.path,
            headers=headers,
            **exc.extensions,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc, request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route for {request.method} {request.url.path}"
        return problem_response(
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            detail,
            type_slug=f"http-{exc.status_code}",
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if _is_outage(exc):
            log.warning("dependency_unavailable", path=request.url.path, error=type(exc).__name__)
            return problem_response(
                503,
                "Service unavailable",
                "a backing service is unavailable; retry later",
                type_slug="unavailable",
                instance=request.url.path,
                headers={"Retry-After": "5"},
            )
        if _is_unstorable_text(exc):
            return problem_response(
                422,
                "Invalid request",
                "text may not contain NUL characters or unpaired surrogates",
                type_slug="validation",
                instance=request.url.path,
            )
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(
            500,
            "Internal error",
            "an unexpected error occurred; it has been logged",
            type_slug="internal",
            instance=request.url.path,
        )
