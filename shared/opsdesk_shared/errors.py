"""Domain errors and their one translation into RFC 9457 problem+json.

Services raise `DomainError` subclasses; `install_error_handlers(app)` renders them. Validation errors
name the offending field; infrastructure outages answer 503 with Retry-After; nothing answers a bare 500
without a problem body.

Every problem carries a stable machine `code` beside its English `title` and `detail` (which API clients
read): a class's own (`not_found`, `forbidden`...) or a more precise one given where it is raised
(`ticket.unit_out_of_scope`), with `params` for the figures its message names. A validation problem lists
each field's error as `{"field", "code", "params", "message"}`, its code read from pydantic's error type
through `VALIDATION_CODES`, one catalogue for every endpoint. The web UI words each code in the user's
language (`gateway/web/i18n/errors.py`); its test fails on a code without words.
"""

from typing import Any, cast

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
    code = "request.invalid"

    def __init__(
        self, detail: str, *, code: str | None = None, params: dict[str, Any] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions
        if code:
            self.code = code
        self.params = params or {}


class NotFound(DomainError):
    status, title, type_slug = 404, "Not found", "not-found"
    code = "not_found"


class Conflict(DomainError):
    status, title, type_slug = 409, "Conflict", "conflict"
    code = "conflict"


class RuleViolation(DomainError):
    status, title, type_slug = 422, "Rule violated", "rule-violation"
    code = "rule_violated"


class Unauthorized(DomainError):
    status, title, type_slug = 401, "Not authenticated", "unauthorized"
    code = "auth.unauthenticated"


class Forbidden(DomainError):
    status, title, type_slug = 403, "Forbidden", "forbidden"
    code = "forbidden"


class Locked(DomainError):
    status, title, type_slug = 423, "Account locked", "locked"
    code = "auth.locked"


class TooManyRequests(DomainError):
    status, title, type_slug = 429, "Too many requests", "rate-limited"
    code = "rate_limited"


class PayloadTooLarge(DomainError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"
    code = "payload_too_large"


class ServiceUnavailable(DomainError):
    status, title, type_slug = 503, "Service unavailable", "unavailable"
    code = "unavailable"


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_slug: str,
    code: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://opsdesk.local/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# pydantic's error type -> our code, one catalogue for every endpoint. The figures its message needs come
# from pydantic's `ctx` (max_length, ge, expected...) as the error's `params`.
VALIDATION_CODES: dict[str, str] = {
    "missing": "validation.required",
    "string_too_short": "validation.too_short",
    "string_too_long": "validation.too_long",
    "string_pattern_mismatch": "validation.pattern",
    "string_type": "validation.not_text",
    "string_unicode": "validation.not_text",
    "int_parsing": "validation.not_an_integer",
    "int_type": "validation.not_an_integer",
    "int_from_float": "validation.not_an_integer",
    "float_parsing": "validation.not_a_number",
    "float_type": "validation.not_a_number",
    "decimal_parsing": "validation.not_a_number",
    "decimal_type": "validation.not_a_number",
    "finite_number": "validation.not_a_number",
    "decimal_max_digits": "validation.too_many_digits",
    "decimal_whole_digits": "validation.too_many_digits",
    "decimal_max_places": "validation.too_many_decimals",
    "greater_than": "validation.must_exceed",
    "greater_than_equal": "validation.too_small",
    "less_than": "validation.must_be_below",
    "less_than_equal": "validation.too_large",
    "multiple_of": "validation.invalid",
    "bool_parsing": "validation.not_a_boolean",
    "bool_type": "validation.not_a_boolean",
    "list_type": "validation.not_a_list",
    "tuple_type": "validation.not_a_list",
    "set_type": "validation.not_a_list",
    "frozen_set_type": "validation.not_a_list",
    "too_short": "validation.too_few_items",
    "too_long": "validation.too_many_items",
    "dict_type": "validation.not_an_object",
    "model_type": "validation.not_an_object",
    "model_attributes_type": "validation.not_an_object",
    "dataclass_type": "validation.not_an_object",
    "enum": "validation.not_a_choice",
    "literal_error": "validation.not_a_choice",
    "uuid_parsing": "validation.not_an_id",
    "uuid_type": "validation.not_an_id",
    "uuid_version": "validation.not_an_id",
    "date_parsing": "validation.not_a_date",
    "date_from_datetime_parsing": "validation.not_a_date",
    "date_from_datetime_inexact": "validation.not_a_date",
    "date_type": "validation.not_a_date",
    "datetime_parsing": "validation.not_a_datetime",
    "datetime_from_date_parsing": "validation.not_a_datetime",
    "datetime_type": "validation.not_a_datetime",
    "timezone_aware": "validation.timezone_required",
    "time_parsing": "validation.not_a_time",
    "time_type": "validation.not_a_time",
    "time_delta_parsing": "validation.not_a_duration",
    "json_invalid": "validation.invalid_json",
    "json_type": "validation.invalid_json",
    "extra_forbidden": "validation.unknown_field",
    "url_parsing": "validation.not_a_url",
    "url_type": "validation.not_a_url",
    "url_scheme": "validation.not_a_url",
    "value_error": "validation.invalid",
    "assertion_error": "validation.invalid",
}
VALIDATION_FALLBACK = "validation.invalid"
# A validator of ours names its own code as the error's type: `PydanticCustomError("call.ends_before_start",
# "message")`; a type with a dot is one of ours, passed on as it is.
_PARAM_KEYS = ("min_length", "max_length", "gt", "ge", "lt", "le", "expected", "max_digits", "decimal_places")


def validation_code(error_type: str | None) -> str:
    if error_type and "." in error_type:
        return error_type
    return VALIDATION_CODES.get(error_type or "", VALIDATION_FALLBACK)


def _field_path(loc: tuple[Any, ...]) -> str:
    # ("body", "requester_phone") -> "requester_phone"; ("query", "limit") -> "limit"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0]) if loc else ""


def _params(ctx: dict[str, Any] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key in _PARAM_KEYS:
        if ctx and key in ctx:
            value = ctx[key]
            params[key] = value if isinstance(value, (int, float, str, bool)) else str(value)
    return params


def validation_problem(exc: RequestValidationError, instance: str) -> JSONResponse:
    errors = []
    for err in exc.errors():
        field = _field_path(tuple(err.get("loc", ())))
        errors.append(
            {
                "field": field,
                "code": validation_code(err.get("type")),
                "params": _params(err.get("ctx")),
                "message": err.get("msg", "invalid"),
                "type": err.get("type"),
            }
        )
    first: dict[str, Any] = (
        errors[0] if errors else {"field": "", "message": "invalid request", "code": VALIDATION_FALLBACK}
    )
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return problem_response(
        422, "Invalid request", detail, type_slug="validation", code=first["code"], instance=instance, errors=errors
    )


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
            # The server shutting down or starting: a restart or a failover.
            asyncpg.exceptions.AdminShutdownError,
            asyncpg.exceptions.CrashShutdownError,
            asyncpg.exceptions.CannotConnectNowError,
            asyncpg.exceptions.ConnectionDoesNotExistError,
            # A write on a server that has become (or still is) a standby, and no host of a multi-host URL
            # being the read-write primary yet: both last until the failover completes.
            asyncpg.exceptions.ReadOnlySQLTransactionError,
            asyncpg.exceptions.TargetServerAttributeNotMatched,
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


HTTP_CODES = {404: "route.not_found", 405: "route.method_not_allowed", 401: "auth.unauthenticated"}
# Codes the handlers here give without a raise site: with the classes' own and VALIDATION_CODES, what the
# UI's catalogue must word (the raise sites' own `code=` are found in the source by its test).
HANDLER_CODES = ("http.error", "internal", "validation.unstorable_text", VALIDATION_FALLBACK)


def domain_problem(exc: DomainError, instance: str) -> JSONResponse:
    """The problem response of a `DomainError`: what the handler below answers, and what an ASGI layer that
    answers before the router (the gateway's forwarding) answers too."""
    headers = {"Retry-After": "5"} if exc.status in (429, 503) else None
    if exc.status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return problem_response(
        exc.status,
        exc.title,
        exc.detail,
        type_slug=exc.type_slug,
        code=exc.code,
        instance=instance,
        headers=headers,
        **({"params": exc.params} if exc.params else {}),
        **exc.extensions,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc, request.url.path)

    # Starlette types a handler as taking any Exception; this one is registered for HTTPException alone.
    app.add_exception_handler(StarletteHTTPException, cast(Any, http_problem))
    app.add_exception_handler(Exception, unexpected_problem)


async def http_problem(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    titles = {404: "Not found", 405: "Method not allowed", 401: "Not authenticated"}
    detail = exc.detail if isinstance(exc.detail, str) else "error"
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    return problem_response(
        exc.status_code,
        titles.get(exc.status_code, "Error"),
        detail,
        type_slug=f"http-{exc.status_code}",
        code=HTTP_CODES.get(exc.status_code, "http.error"),
        instance=request.url.path,
        headers=getattr(exc, "headers", None),
    )


async def unexpected_problem(request: Request, exc: Exception) -> JSONResponse:
    if _is_outage(exc):
        log.warning("dependency_unavailable", path=request.url.path, error=type(exc).__name__)
        return problem_response(
            503,
            "Service unavailable",
            "a backing service is unavailable; retry later",
            type_slug="unavailable",
            code="unavailable",
            instance=request.url.path,
            headers={"Retry-After": "5"},
        )
    if _is_unstorable_text(exc):
        return problem_response(
            422,
            "Invalid request",
            "text may not contain NUL characters or unpaired surrogates",
            type_slug="validation",
            code="validation.unstorable_text",
            instance=request.url.path,
        )
    log.exception("unhandled_error", path=request.url.path)
    return problem_response(
        500,
        "Internal error",
        "an unexpected error occurred; it has been logged",
        type_slug="internal",
        code="internal",
        instance=request.url.path,
    )
