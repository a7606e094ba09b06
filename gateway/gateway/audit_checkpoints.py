"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint says "entry N existed and its MAC was H", signed with the audit key. It is written after a
verification found the chain intact up to N (admin/audit_verification.py), to `checkpoints/` in the audit
archive directory (a volume of the gateway's, not the database's): `history.jsonl`, appended and fsynced,
and `latest.json`, replaced atomically. Whoever can rewrite the database cannot reach these files, so deleting
the newest entries (or every entry) leaves a checkpoint pointing past the end of the table, and the next
verification says so. `GET /api/admin/audit-log/checkpoints` hands them to the auditor to keep elsewhere too.

Every gateway replica shares the directory; a file lock keeps the latest checkpoint from going backwards when
two replicas record at once.
"""

import fcntl
import os
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from gateway.audit_chain import AuditKey


class Checkpoint(BaseModel):
    seq: int
    hash: str
    at: datetime
    signature: str


class CheckpointForged(RuntimeError):
    pass


class CheckpointStore:
    def __init__(self, archive_dir: Path, key: AuditKey) -> None:
        self.directory = archive_dir / "checkpoints"
        self._key = key

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint, its signature checked (CheckpointForged if it does not hold)."""
        try:
            checkpoint = Checkpoint.model_validate_json((self.directory / "latest.json").read_text())
        except FileNotFoundError:
            return None
        except ValueError as exc:  # written whole or not at all (rename): anything else was put there by hand
            raise CheckpointForged("the latest checkpoint file is not a checkpoint") from exc
        self._check(checkpoint)
        return checkpoint

    def record(self, seq: int, entry_hash: str) -> Checkpoint | None:
        """Sign and keep a checkpoint at entry `seq`, unless one at or past it is kept already."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = self.latest()
            if current is not None and current.seq >= seq:
                return None
            body = {"seq": seq, "hash": entry_hash, "at": datetime.now(UTC)}
            checkpoint = Checkpoint(**body, signature=self._key.checkpoint_signature(body))
            line = checkpoint.model_dump_json()
            with open(self.directory / "history.jsonl", "a", encoding="utf-8") as history:
                history.write(line + "\n")
                history.flush()
                os.fsync(history.fileno())
            partial = self.directory / ".latest.partial"
            with open(partial, "w", encoding="utf-8") as out:
                out.write(line)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.directory / "latest.json")
            fsync_directory(self.directory)
            return checkpoint

    def history(self, limit: int) -> list[Checkpoint]:
        """The newest `limit` checkpoints, oldest first, each with its signature (checked by whoever keeps them)."""
        try:
            with open(self.directory / "history.jsonl", encoding="utf-8") as history:
                lines = deque(history, maxlen=limit)
        except FileNotFoundError:
            return []
        return [Checkpoint.model_validate_json(line) for line in lines if line.strip()]

    def _check(self, checkpoint: Checkpoint) -> None:
        body = checkpoint.model_dump(include={"seq", "hash", "at"})
        if not self._key.matches(checkpoint.signature, self._key.checkpoint_signature(body)):
            raise CheckpointForged(f"the checkpoint at entry {checkpoint.seq} is not signed by the audit key")


def fsync_directory(directory: Path) -> None:
    """A rename is durable only once its directory is."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
