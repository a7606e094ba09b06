"""Reading the audit log: search, export, and checking its hash chain (migration gateway_0002 makes
the database chain every entry to the one committed before it).

A verification walks the chain in order and reports the first entry that does not hold: its content no
longer gives its hash (altered), it does not point at the entry before it (inserted or reordered), or
the sequence skips (deleted). The append-only trigger already refuses changes; the chain is what shows
it if someone with the database owner's rights went around it.
"""

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import AuditEntry


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


async def verify_chain(session: AsyncSession) -> ChainCheck:
    entries = 0
    async for row in await session.stream(_WALK):
        entries += 1
        if row.chain_seq is None:
            return ChainCheck(entries=entries, intact=False, problem="an entry outside the chain")
        if row.entry_hash != row.recomputed:
            return _broken(entries, row.chain_seq, "its content no longer matches its hash: altered")
        if row.prev_hash != (row.previous_hash or ""):
            return _broken(entries, row.chain_seq, "it does not point at the entry before it")
        if row.chain_seq != (row.previous_seq or 0) + 1:
            return _broken(
                entries, row.chain_seq, f"entries {(row.previous_seq or 0) + 1}–{row.chain_seq - 1} are missing"
            )
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
        writer.writerow(["" if getattr(entry, c) is None else getattr(entry, c) for c in EXPORT_COLUMNS])
        yield buffer.getvalue().encode()
