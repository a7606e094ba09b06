"""Checking the audit chain (audit_chain.py) with the key, against its purges and its signed checkpoints.

Every entry's MAC is recomputed here, in the gateway: a verification the database computed could be made
to agree by whoever rewrote the database. A verification reports the first thing that does not hold:

- a purge record not signed with the key (entries removed with no archive behind them), or purges with a hole;
- a checkpoint file not signed with the key;
- an entry whose content no longer gives its MAC (altered), one that does not point at the MAC before it, or
  a skipped sequence number (entries deleted);
- the entry a signed checkpoint names, missing or different (the newest entries, or all, deleted).

The page's check is incremental: from the last checkpoint (itself verified when it was made) to the head,
so it costs what was written since. A full check walks everything from the last purge and is started
explicitly, in the background (`FullVerifications`), with progress. An intact check records a new
checkpoint at the head it reached.
"""

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.admin.models import AuditEntry
from gateway.audit_chain import ENTRY_FIELDS, AuditKey
from gateway.audit_checkpoints import Checkpoint, CheckpointForged, CheckpointStore

log = structlog.get_logger(__name__)
BATCH = 1000


class ChainCheck(BaseModel):
    intact: bool
    full: bool
    entries: int  # how many entries this check walked
    from_seq: int  # the check started after this entry (a purge's or a checkpoint's)
    head_seq: int | None = None  # the last entry it reached
    checkpoint_seq: int | None = None  # the signed checkpoint it held the chain against
    first_broken_seq: int | None = None
    problem: str | None = None


class _Broken(Exception):
    def __init__(self, seq: int | None, problem: str) -> None:
        self.seq, self.problem = seq, problem


_PURGES = text(
    "SELECT cutoff, first_seq, last_seq, entries, last_hash, archive, archive_sha256, signature "
    "FROM audit_log_purge ORDER BY last_seq, id"
)
_LAST_BEFORE = text("SELECT max(chain_seq) FROM audit_log WHERE chain_seq <= :seq")
_TABLE = AuditEntry.__table__
_ROWS = select(_TABLE).order_by(_TABLE.c.chain_seq.asc().nulls_first())


async def verify(
    sessions: async_sessionmaker[AsyncSession],
    key: AuditKey,
    store: CheckpointStore,
    *,
    full: bool,
    progress: Callable[[int, int], None] | None = None,
) -> ChainCheck:
    # The checkpoint is read before the rows' snapshot is taken: it can only name entries that snapshot holds.
    try:
        checkpoint = await asyncio.to_thread(store.latest)
    except CheckpointForged as exc:
        return ChainCheck(intact=False, full=full, entries=0, from_seq=0, problem=str(exc))
    walk = _Walk(key, checkpoint, full=full, progress=progress)
    async with sessions() as session:
        # One snapshot for the purges and the entries: a purge committing meanwhile is not half seen.
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        try:
            await walk.run(session)
        except _Broken as broken:
            log.error("audit_chain_broken", seq=broken.seq, problem=broken.problem, full=full)
            return walk.result(intact=False, seq=broken.seq, problem=broken.problem)
    if walk.last_seq > walk.from_seq:
        recorded = await asyncio.to_thread(store.record, walk.last_seq, walk.last_hash)
        if recorded is not None:  # the logs, shipped elsewhere, are one more copy outside the database
            log.info("audit_checkpoint", **recorded.model_dump(mode="json"))
    return walk.result(intact=True)


class _Walk:
    def __init__(
        self,
        key: AuditKey,
        checkpoint: Checkpoint | None,
        *,
        full: bool,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.key, self.checkpoint, self.full, self.progress = key, checkpoint, full, progress
        self.from_seq, self.entries = 0, 0
        self.last_seq, self.last_hash = 0, ""

    def result(self, *, intact: bool, seq: int | None = None, problem: str | None = None) -> ChainCheck:
        return ChainCheck(
            intact=intact,
            full=self.full,
            entries=self.entries,
            from_seq=self.from_seq,
            head_seq=self.last_seq or None,
            checkpoint_seq=self.checkpoint.seq if self.checkpoint else None,
            first_broken_seq=seq,
            problem=problem,
        )

    async def run(self, session: AsyncSession) -> None:
        anchor_seq, anchor_hash = await self._purges(session)
        start_seq: int
        expected_prev: str | None
        checkpoint = self.checkpoint
        if not self.full and checkpoint is not None and checkpoint.seq > anchor_seq:
            # From the checkpoint's own entry, which must still give the checkpoint's MAC.
            start_seq, expected_prev = checkpoint.seq - 1, None
        else:
            start_seq, expected_prev = anchor_seq, anchor_hash
        self.from_seq = self.last_seq = start_seq
        self.last_hash = anchor_hash
        head = (await session.execute(text("SELECT seq FROM audit_chain_head"))).scalar() or 0
        total = max(head - start_seq, 0)
        query = _ROWS.where((_TABLE.c.chain_seq > start_seq) | _TABLE.c.chain_seq.is_(None))
        result = await session.stream(query)
        async for rows in result.partitions(BATCH):
            for row in rows:
                self._check(row._mapping, expected_prev)
                expected_prev = self.last_hash
            if self.progress is not None:
                self.progress(self.entries, total)
        if checkpoint is not None and checkpoint.seq > max(self.last_seq, anchor_seq):
            # Started at the checkpoint's entry and found none: where the table now ends says what went.
            present = (await session.execute(_LAST_BEFORE, {"seq": checkpoint.seq})).scalar()
            first_missing = max(present or 0, anchor_seq) + 1
            raise _Broken(
                first_missing,
                f"entries {first_missing}–{checkpoint.seq} are missing: the signed checkpoint of "
                f"{checkpoint.at.isoformat(timespec='seconds')} reached entry {checkpoint.seq} "
                "(the newest entries were deleted)",
            )

    def _check(self, row: Any, expected_prev: str | None) -> None:
        seq = row["chain_seq"]
        if seq is None:
            raise _Broken(None, "an entry outside the chain")
        expected_seq = self.last_seq + 1
        if seq != expected_seq:
            raise _Broken(expected_seq, f"entries {expected_seq}–{seq - 1} are missing (deleted)")
        mac = self.key.entry_mac({name: row[name] for name in ENTRY_FIELDS})
        if not self.key.matches(row["entry_hash"], mac):
            raise _Broken(seq, "its content no longer matches its MAC: altered")
        if expected_prev is not None and row["prev_hash"] != expected_prev:
            raise _Broken(seq, "it does not point at the entry before it")
        if self.checkpoint is not None and seq == self.checkpoint.seq and mac != self.checkpoint.hash:
            raise _Broken(seq, "it is not the entry the signed checkpoint names: the chain was rebuilt from here")
        self.entries += 1
        self.last_seq, self.last_hash = seq, mac

    async def _purges(self, session: AsyncSession) -> tuple[int, str]:
        """Where the chain starts: after the last purge, every purge signed and each following the one before."""
        anchor_seq, anchor_hash = 0, ""
        for purge in (await session.execute(_PURGES)).mappings():
            if not self.key.matches(purge["signature"], self.key.purge_signature(dict(purge))):
                raise _Broken(
                    purge["first_seq"],
                    f"the purge of entries {purge['first_seq']}–{purge['last_seq']} is not signed with the audit "
                    "key: entries removed with no archive behind them",
                )
            if purge["first_seq"] != anchor_seq + 1:
                raise _Broken(anchor_seq + 1, f"entries {anchor_seq + 1}–{purge['first_seq'] - 1} are missing")
            anchor_seq, anchor_hash = purge["last_seq"], purge["last_hash"]
        return anchor_seq, anchor_hash


class FullVerification(BaseModel):
    id: str
    state: Literal["running", "done", "failed"]
    started_at: datetime
    finished_at: datetime | None = None
    checked: int = 0
    total: int = 0
    result: ChainCheck | None = None
    error: str | None = None


class FullVerifications:
    """Full verifications running in this gateway process, one at a time; a started one is returned again.
    Its progress lives here, so a replica answers for the verifications it runs itself."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], key: AuditKey, store: CheckpointStore) -> None:
        self._sessions, self._key, self._store = sessions, key, store
        self._jobs: dict[str, FullVerification] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> FullVerification:
        running = next((j for j in self._jobs.values() if j.state == "running"), None)
        if running is not None:
            return running
        job = FullVerification(id=uuid.uuid4().hex, state="running", started_at=datetime.now(UTC))
        self._jobs = dict(list(self._jobs.items())[-9:]) | {job.id: job}  # the last ten kept
        task = asyncio.create_task(self._run(job), name=f"audit-full-verification-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def get(self, job_id: str) -> FullVerification | None:
        return self._jobs.get(job_id)

    async def _run(self, job: FullVerification) -> None:
        def progress(checked: int, total: int) -> None:
            job.checked, job.total = checked, max(total, checked)

        try:
            job.result = await verify(self._sessions, self._key, self._store, full=True, progress=progress)
            job.checked = job.result.entries
            job.total = max(job.total, job.checked)
            job.state = "done"
        except Exception as exc:  # the database went away: say so; the auditor starts another
            job.state, job.error = "failed", repr(exc)[:300]
        job.finished_at = datetime.now(UTC)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def run_checkpoints(
    sessions: async_sessionmaker[AsyncSession],
    key: AuditKey,
    store: CheckpointStore,
    stop: asyncio.Event,
    *,
    interval_s: float,
) -> None:
    """Every `interval_s`, verify what was appended since the last checkpoint and record a new one: deleting
    entries older than the interval is then always seen, and the page's check stays short."""
    while not stop.is_set():
        try:
            await verify(sessions, key, store, full=False)
        except Exception as exc:  # the database may be restarting; the next round catches up
            log.error("audit_checkpoint_failed", error=repr(exc)[:300])
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        except TimeoutError:
            pass
