"""Before and after of every row a request changes, handed to the gateway's audit log.

The gateway writes the audit entry of every write (who, what, when, from where), but cannot see inside the
services. So each service records, for the request it serves, what its ORM flushes change: an inserted row's
columns, an updated row's changed columns with their old and new values, a deleted row's columns. Only what
commits is kept: a rolled-back transaction's flushes are dropped. The list goes back on the response in the
`OpsDesk-Audit-Changes` header; the gateway's edge stores it with the entry and strips it (gateway/edge.py).

Values are made safe for the auditor's eyes first: phone numbers masked, secrets left out, binary content
reduced to its size. Statements that bypass the ORM (the outbox, the inbox) are plumbing and not recorded.
"""

import json
from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsdesk_shared.phones import mask_phone

CHANGES_HEADER = "opsdesk-audit-changes"
# Headers above 8 KiB are refused by common proxies (and by aiohttp's client): past this, values are dropped
# and only which columns changed is kept.
MAX_HEADER_BYTES = 6000
# Credentials never leave the service, not even towards the audit log.
SECRET_COLUMNS = frozenset({"password_hash", "totp_secret", "token_hash", "key_hash"})
# Rows that are bookkeeping of a write, not the write: the audit log itself, login counters, refresh tokens,
# idempotency replays.
UNRECORDED_TABLES = frozenset({"audit_log", "login_attempt", "refresh_token", "idempotent_request"})

# The column that names a row for people (a ticket's number, an account's user name, a unit's code…): read
# at write time by the service that owns the row, so the auditor sees "20261207-0003" rather than a UUID
# without being allowed to read tickets (least privilege).
LABEL_COLUMNS = ("number", "username", "code", "trigger", "name", "display_name", "title")

_changes: ContextVar[list[dict[str, Any]] | None] = ContextVar("audit_changes", default=None)
_PENDING = "audit_trail_pending"


def safe_value(value: Any) -> Any:
    """A JSON value the auditor may read: phones masked, bytes as their size, long texts cut."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return mask_phone(value if len(value) <= 500 else value[:500] + "…")
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if isinstance(value, Enum):
        return safe_value(value.value)
    if isinstance(value, UUID | Decimal | datetime | date | time):
        return str(value)
    if isinstance(value, dict):
        return {str(k): safe_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [safe_value(v) for v in value]
    return mask_phone(str(value))


def _column_value(key: str, value: Any) -> Any:
    return "<redacted>" if key in SECRET_COLUMNS else safe_value(value)


def _describe(obj: Any, op: str) -> dict[str, Any] | None:
    state = inspect(obj)
    table = state.mapper.persist_selectable.name
    if table in UNRECORDED_TABLES:
        return None
    mapper = state.mapper
    key = [safe_value(state.dict.get(mapper.get_property_by_column(c).key)) for c in mapper.primary_key]
    record: dict[str, Any] = {"op": op, "table": table, "key": key}
    label = next((state.dict[c] for c in LABEL_COLUMNS if isinstance(state.dict.get(c), str) and state.dict[c]), None)
    if label is not None:
        record["label"] = safe_value(label)[:100]
    columns = [state.attrs[prop.key] for prop in mapper.column_attrs]
    if op in ("insert", "delete"):
        # What the row holds now; columns the database filled in and were not read back are left out.
        values = {a.key: _column_value(a.key, state.dict[a.key]) for a in columns if a.key in state.dict}
        record["after" if op == "insert" else "before"] = values
    else:
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for attr in columns:
            history = attr.history
            if not history.has_changes():
                continue
            before[attr.key] = _column_value(attr.key, history.deleted[0] if history.deleted else None)
            after[attr.key] = _column_value(attr.key, history.added[0] if history.added else None)
        if not after:
            return None
        record["before"], record["after"] = before, after
    return record


@event.listens_for(Session, "after_flush")
def _record_flush(session: Session, _flush_context: Any) -> None:
    if _changes.get() is None:  # not serving a request (a worker, a migration): nobody to hand it to
        return
    pending = session.info.setdefault(_PENDING, [])
    for op, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            record = _describe(obj, op)
            if record is not None:
                pending.append(record)


def record_inserts(session: Session, table: str, rows: list[dict[str, Any]], *, key: str = "id") -> None:
    """Rows a statement inserted past the ORM's unit of work (one multi-row INSERT of thousands, ledger import),
    recorded as a flush of them would have been: kept if the transaction commits, dropped if it rolls back."""
    if _changes.get() is None or table in UNRECORDED_TABLES:
        return
    pending = session.info.setdefault(_PENDING, [])
    for row in rows:
        record: dict[str, Any] = {"op": "insert", "table": table, "key": [safe_value(row[key])]}
        label = next((row[c] for c in LABEL_COLUMNS if isinstance(row.get(c), str) and row[c]), None)
        if label is not None:
            record["label"] = safe_value(label)[:100]
        record["after"] = {k: _column_value(k, v) for k, v in row.items()}
        pending.append(record)


@event.listens_for(Session, "after_commit")
def _keep_committed(session: Session) -> None:
    committed = session.info.pop(_PENDING, None)
    changes = _changes.get()
    if committed and changes is not None:
        changes.extend(committed)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_PENDING, None)


def encode_changes(changes: list[dict[str, Any]]) -> bytes:
    """ASCII JSON for a header; past MAX_HEADER_BYTES only the columns' names are kept, then only the count."""
    encoded = json.dumps(changes, ensure_ascii=True, separators=(",", ":")).encode()
    if len(encoded) <= MAX_HEADER_BYTES:
        return encoded
    names_only = [
        {k: (sorted(v) if k in ("before", "after") else v) for k, v in record.items()} | {"values": "omitted"}
        for record in changes
    ]
    encoded = json.dumps(names_only, ensure_ascii=True, separators=(",", ":")).encode()
    if len(encoded) <= MAX_HEADER_BYTES:
        return encoded
    return json.dumps([{"op": "many", "rows": len(changes), "values": "omitted"}]).encode()


def decode_changes(values: list[bytes]) -> list[dict[str, Any]] | None:
    """The gateway's side: every `OpsDesk-Audit-Changes` header of a response, merged; None when there are none."""
    merged: list[dict[str, Any]] = []
    for value in values:
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = [{"op": "unreadable", "header": value[:200].decode("latin-1")}]
        merged.extend(decoded if isinstance(decoded, list) else [decoded])
    return merged or None


class AuditTrailMiddleware:
    """Collects the committed changes of each write request and puts them on its response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        changes: list[dict[str, Any]] = []
        token = _changes.set(changes)

        async def send_with_changes(message: Message) -> None:
            if message["type"] == "http.response.start" and changes:
                headers = list(message.get("headers", []))
                headers.append((CHANGES_HEADER.encode(), encode_changes(changes)))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_changes)
        finally:
            _changes.reset(token)
