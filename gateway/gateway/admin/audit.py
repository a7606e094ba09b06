"""Reading the audit log: search, export, and checking its hash chain (migration gateway_0002 makes
the database chain every entry to the one committed before it).

A verification walks the chain in order and reports the first entry that does not hold: its content no
longer gives its hash (altered), it does not point at the entry before it (inserted or reordered), or
the sequence skips (deleted). The append-only trigger already refuses changes; the chain is what shows
it if someone with the database owner's rights went around it.
"""

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import AuditEntry
from opsdesk_shared.spreadsheet_cells import neutralise


class ChainCheck(BaseModel):
    entries: int
    intact: bool
    first_broken_seq: int | None = None
    problem: str | None = None


_WALK = text(
    "SELECT chain_seq, entry_hash, prev_hash, audit_log_entry_hash(a) AS recomputed, "
    "lag(entry_hash) OVER (ORDER BY chain_seq) AS previous_hash, "
    "lag(chain_seq) OVER (ORDER BY chain_seq) AS previous_seq "
    "FROM audit_log a ORDER BY chain_seq NULLS FIRST"
)


# Where the chain starts: after the last entry retention purged (gateway/audit_retention.py), or at the start.
_ANCHOR = text("SELECT last_seq, last_hash FROM audit_log_purge ORDER BY last_seq DESC LIMIT 1")


async def verify_chain(session: AsyncSession) -> ChainCheck:
    anchor = (await session.execute(_ANCHOR)).first()
    anchor_seq, anchor_hash = (anchor.last_seq, anchor.last_hash) if anchor else (0, "")
    entries = 0
    async for row in await session.stream(_WALK):
        entries += 1
        previous_seq = row.previous_seq if row.previous_seq is not None else anchor_seq
        previous_hash = row.previous_hash if row.previous_hash is not None else anchor_hash
        if row.chain_seq is None:
            return ChainCheck(entries=entries, intact=False, problem="an entry outside the chain")
        if row.entry_hash != row.recomputed:
            return _broken(entries, row.chain_seq, "its content no longer matches its hash: altered")
        if row.prev_hash != previous_hash:
            return _broken(entries, row.chain_seq, "it does not point at the entry before it")
        if row.chain_seq != previous_seq + 1:
            return _broken(entries, row.chain_seq, f"entries {previous_seq + 1}–{row.chain_seq - 1} are missing")
    return ChainCheck(entries=entries, intact=True)


def _broken(entries: int, seq: int, problem: str) -> ChainCheck:
    return ChainCheck(entries=entries, intact=False, first_broken_seq=seq, problem=problem)


def search(
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:  # type: ignore[type-arg]
    conditions: list[ColumnElement[bool]] = []
    if actor:
        conditions.append(AuditEntry.actor_name == actor)  # type: ignore[arg-type]
    if action:
        conditions.append(AuditEntry.action.startswith(action))  # type: ignore[attr-defined]
    if since:
        conditions.append(AuditEntry.at >= since)  # type: ignore[arg-type,operator]
    if until:
        conditions.append(AuditEntry.at < until)  # type: ignore[arg-type,operator]
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


async def export_csv(session: AsyncSession, query: Select) -> AsyncIterator[bytes]:  # type: ignore[type-arg]
    """The matching entries in chain order, with their hashes, so an exported copy can be checked too."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode()
    async for entry in await session.stream_scalars(query.order_by(AuditEntry.chain_seq)):  # type: ignore[arg-type]
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise(_cell(getattr(entry, c))) for c in EXPORT_COLUMNS])
        yield buffer.getvalue().encode()


def _cell(value: object) -> object:
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else value
