"""Reading the audit log: search and export (checking its chain: audit_verification.py)."""

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import ColumnElement, Select, Text, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.models import AuditEntry
from opsdesk_shared.spreadsheet_cells import neutralise


def search(
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    target: str | None = None,
) -> Select[AuditEntry]:
    """`target`: the object written, by its id (in the path) or its name as the write recorded it (a ticket's
    number, an account's user name: the rows' labels and values in `changes`)."""
    conditions: list[ColumnElement[bool]] = []
    if target:
        pattern = "%" + target.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                AuditEntry.path.ilike(pattern),
                AuditEntry.changes.cast(Text).ilike(pattern),
            )
        )
    if actor:
        conditions.append(AuditEntry.actor_name == actor)
    if action:
        conditions.append(AuditEntry.action.startswith(action))
    if since:
        conditions.append(AuditEntry.at >= since)
    if until:
        conditions.append(AuditEntry.at < until)
    return select(AuditEntry).where(*conditions)


EXPORT_COLUMNS = (
    "chain_seq",
    "id",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "method",
    "path",
    "status",
    "client_ip",
    "request_id",
    "prev_hash",
    "entry_hash",
    "changes",
)


async def export_csv(session: AsyncSession, query: Select[AuditEntry]) -> AsyncIterator[bytes]:
    """The matching entries in chain order, with their hashes, so an exported copy can be checked too."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for entry in await session.stream_scalars(query.order_by(AuditEntry.chain_seq)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(_cell(getattr(entry, c))) for c in EXPORT_COLUMNS])
        yield buffer.getvalue().encode()


def _cell(value: object) -> object:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value
