"""Audit retention: entries older than the retention period (≥ 180 days, SPEC §2) leave the database for an
archive file, and the purge is itself recorded.

A purge removes a prefix of the chain, never a hole: everything up to the first entry still inside the
period. Before deleting, it writes those entries, MACs included, to a gzipped JSON-lines file, makes the file
durable (fsync of the file and of its directory), and records the file's SHA-256 and the last purged entry's MAC
in `audit_log_purge`, signed with the audit key; verification then starts the chain from there
(admin/audit_verification.py), and a purge record nobody signed (rows deleted with no archive) is reported.
The database refuses to delete anything younger than 180 days whatever the setting (migration gateway_0005).
The whole purge holds the chain's head (audit_chain.py), so no entry commits between choosing the prefix and
deleting it.

Every gateway runs it daily; two replicas take turns on the head and the second finds nothing to do.
"""

import asyncio
import gzip
import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import structlog
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import audit_chain
from gateway.admin.models import AuditEntry
from gateway.audit_chain import AuditKey
from gateway.audit_checkpoints import fsync_directory
from gateway.config import GatewaySettings
from opsdesk_shared.db import create_engine, session_factory

log = structlog.get_logger(__name__)
PURGE_ACTOR = "system:audit-retention"


class PurgeResult(BaseModel):
    entries: int
    first_seq: int | None = None
    last_seq: int | None = None
    archive: str | None = None
    archive_sha256: str | None = None


_LOCK_CHAIN = text("SELECT seq FROM audit_chain_head WHERE id = 1 FOR UPDATE")
# The last entry of the prefix: the one before the oldest entry still inside the period.
_PREFIX_END = text(
    "SELECT coalesce((SELECT min(chain_seq) FROM audit_log WHERE at >= :cutoff), "
    "(SELECT max(chain_seq) + 1 FROM audit_log)) - 1"
)
_PREFIX = text("SELECT * FROM audit_log WHERE chain_seq <= :last ORDER BY chain_seq")


async def purge_expired(
    sessions: async_sessionmaker[AsyncSession], *, key: AuditKey, retention_days: int, archive_dir: Path
) -> PurgeResult:
    cutoff = datetime.now(UTC) - timedelta(days=retention_days)
    async with sessions() as session, session.begin():
        await session.execute(_LOCK_CHAIN)
        last_seq = (await session.execute(_PREFIX_END, {"cutoff": cutoff})).scalar()
        if last_seq is None or last_seq < 1:
            return PurgeResult(entries=0)
        archive, sha256, first_seq, entries, last_hash = await _archive(session, last_seq, archive_dir)
        if entries == 0:
            return PurgeResult(entries=0)
        purge = {
            "cutoff": cutoff,
            "first_seq": first_seq,
            "last_seq": last_seq,
            "entries": entries,
            "last_hash": last_hash,
            "archive": archive.name,
            "archive_sha256": sha256,
        }
        await session.execute(
            text(
                "INSERT INTO audit_log_purge "
                "(cutoff, first_seq, last_seq, entries, last_hash, archive, archive_sha256, signature) "
                "VALUES (:cutoff, :first_seq, :last_seq, :entries, :last_hash, :archive, :archive_sha256, :signature)"
            ),
            purge | {"signature": key.purge_signature(purge)},
        )
        await session.execute(text("SET LOCAL opsdesk.audit_purge = 'on'"))
        await session.execute(text("DELETE FROM audit_log WHERE chain_seq <= :last"), {"last": last_seq})
        await session.execute(text("SET LOCAL opsdesk.audit_purge = 'off'"))
        result = PurgeResult(
            entries=entries, first_seq=first_seq, last_seq=last_seq, archive=archive.name, archive_sha256=sha256
        )
        # The purge is an audited act like any other write.
        await audit_chain.append(
            session,
            key,
            AuditEntry(
                at=datetime.now(UTC),
                actor_name=PURGE_ACTOR,
                action="audit.purge.ok",
                method="PURGE",
                path="audit_log",
                status=200,
                changes=[{"op": "purge", "table": "audit_log", "cutoff": cutoff.isoformat(), **result.model_dump()}],
            ),
        )
    log.info("audit_purged", **result.model_dump())
    return result


async def _archive(session: AsyncSession, last_seq: int, archive_dir: Path) -> tuple[Path, str, int, int, str]:
    """Write the prefix to `audit-<first>-<last>.jsonl.gz` (via a temporary name, so a file under the final name
    is always whole) and return it with its SHA-256, the first sequence number, the count and the last hash.
    File work runs in a thread, a thousand entries at a time: the gateway's event loop keeps serving."""
    partial = archive_dir / f".audit-upto-{last_seq}.partial"
    out = await asyncio.to_thread(_open_archive, archive_dir, partial)
    first_seq, entries, last_hash = 0, 0, ""
    try:
        result = await session.stream(_PREFIX, {"last": last_seq})
        async for rows in result.partitions(1000):
            batch = [dict(row._mapping) for row in rows]
            first_seq = first_seq or batch[0]["chain_seq"]
            entries += len(batch)
            last_hash = batch[-1]["entry_hash"]
            lines = "".join(json.dumps(e, default=_json_default, ensure_ascii=False) + "\n" for e in batch)
            await asyncio.to_thread(out.write, lines)
    finally:
        await asyncio.to_thread(out.close)
    archive = archive_dir / f"audit-{first_seq:012d}-{last_seq:012d}.jsonl.gz"
    sha256 = await asyncio.to_thread(_finish_archive, partial, archive)
    return archive, sha256, first_seq, entries, last_hash


def _open_archive(archive_dir: Path, partial: Path) -> TextIO:
    archive_dir.mkdir(parents=True, exist_ok=True)
    return gzip.open(partial, "wt", encoding="utf-8")


def _finish_archive(partial: Path, archive: Path) -> str:
    """The file and its name made durable before the caller deletes the entries it holds: a crash after the
    DELETE commits must not find the archive still in the page cache only."""
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    os.replace(partial, archive)
    fsync_directory(archive.parent)
    return hashlib.sha256(archive.read_bytes()).hexdigest()


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


async def purge_now(settings: GatewaySettings) -> PurgeResult:
    """The command line's purge (`python -m gateway audit-purge`), with its own connection."""
    engine = create_engine(settings)
    try:
        return await purge_expired(
            session_factory(engine),
            key=AuditKey.load(settings.audit_key_file),
            retention_days=settings.audit_retention_days,
            archive_dir=settings.audit_archive_dir,
        )
    finally:
        await engine.dispose()


async def run_daily(
    sessions: async_sessionmaker[AsyncSession],
    stop: asyncio.Event,
    *,
    key: AuditKey,
    retention_days: int,
    archive_dir: Path,
    interval_s: float,
) -> None:
    """Purge now and then every `interval_s` until `stop`; a failure is logged and tried again next time."""
    while not stop.is_set():
        try:
            await purge_expired(sessions, key=key, retention_days=retention_days, archive_dir=archive_dir)
        except Exception as exc:  # the database may be restarting; the next round catches up
            log.error("audit_purge_failed", error=repr(exc)[:300])
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass
