"""The audit log's keyed hash chain: every entry carries HMAC-SHA256(audit key, previous MAC + its content).

The key lives in `OPSDESK_AUDIT_KEY_FILE`, mounted into the gateway's processes only, never in the database.
Whoever holds the database but not the key can still delete or edit rows, but cannot make a chain that
verifies again: recomputing a keyless hash (what the database did before migration gateway_0009) no longer
helps. What the chain alone cannot show (the newest entries deleted, or the whole table) the signed
checkpoints kept outside the database show (audit_checkpoints.py).

Appending: `audit_chain_head` is one row holding the last sequence number and MAC. `UPDATE ... RETURNING`
locks it and reads the committed head in one round trip (read committed re-reads the row after waiting),
so entries are chained in the order they commit; the entry and the new head are then written in one
statement. The lock is held from that first statement to the commit, one round trip longer than the old
trigger held it, for the MAC that must be computed here, where the key is. The edge's entries, one per write,
are appended in batches (`append_many_committed`, audit_appender.py), so the lock is taken once per batch.
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from gateway.admin.models import AuditEntry

KEY_BYTES = 32
# Domain separation: a MAC made for one purpose never verifies as another.
ENTRY, PURGE, CHECKPOINT = b"opsdesk-audit-entry", b"opsdesk-audit-purge", b"opsdesk-audit-checkpoint"
# The entry's fields under the MAC, in this order (the row id is not: the sequence number is the entry's place).
ENTRY_FIELDS = (
    "chain_seq",
    "prev_hash",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "method",
    "path",
    "status",
    "client_ip",
    "request_id",
    "changes",
)


class AuditKeyMissing(RuntimeError):
    pass


def create_key_file(key_file: Path) -> bool:
    """A new random key, only if there is none (True when made). Readable by the owner only."""
    if key_file.exists():
        return False
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
    key_file.chmod(0o600)
    return True


class AuditKey:
    """The gateway's audit key and the three things it signs: entries, purges and checkpoints."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise AuditKeyMissing(f"the audit key must be at least {KEY_BYTES} bytes, not {len(key)}")
        self._key = key

    @classmethod
    def load(cls, key_file: Path) -> "AuditKey":
        """Loaded when the process starts, so a missing key stops it instead of failing every audited write."""
        try:
            key = base64.b64decode(key_file.read_text().strip(), validate=True)
        except FileNotFoundError as exc:
            raise AuditKeyMissing(
                f"no audit key at {key_file}: set OPSDESK_AUDIT_KEY_FILE, or run `make run` once in development "
                "to create one"
            ) from exc
        except ValueError as exc:
            raise AuditKeyMissing(f"{key_file} does not hold a base64 key") from exc
        return cls(key)

    def _mac(self, purpose: bytes, content: str) -> str:
        return hmac.new(self._key, purpose + b"\x1f" + content.encode(), hashlib.sha256).hexdigest()

    def entry_mac(self, entry: dict[str, Any]) -> str:
        return self._mac(ENTRY, canonical([entry[name] for name in ENTRY_FIELDS]))

    def purge_signature(self, purge: dict[str, Any]) -> str:
        fields = ("cutoff", "first_seq", "last_seq", "entries", "last_hash", "archive", "archive_sha256")
        return self._mac(PURGE, canonical([purge[name] for name in fields]))

    def checkpoint_signature(self, checkpoint: dict[str, Any]) -> str:
        return self._mac(CHECKPOINT, canonical([checkpoint[name] for name in ("seq", "hash", "at")]))

    @staticmethod
    def matches(mac: str | None, expected: str) -> bool:
        return mac is not None and hmac.compare_digest(mac, expected)


def canonical(values: list[Any]) -> str:
    """One text form for what is written and for what is read back (JSONB reorders keys and may print a float
    with no fraction as an integer; a timestamp comes back as UTC; a UUID as a UUID)."""
    return json.dumps(_normal(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    return value


_HEAD = sa.table("audit_chain_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
_ADVANCE = sa.text("UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")


async def append(session: AsyncSession, key: AuditKey, entry: AuditEntry) -> AuditEntry:
    """Chain `entry` onto the log inside the caller's transaction (which holds the head until it commits)."""
    seq, prev_hash = (await session.execute(_ADVANCE)).one()
    _seal(entry, key, seq, prev_hash)
    values = {c.name: getattr(entry, c.name) for c in AuditEntry.__table__.columns if c.name != "id"}
    new_head = sa.update(_HEAD).where(_HEAD.c.id == 1).values(hash=entry.entry_hash).cte("new_head")
    await session.execute(sa.insert(AuditEntry).values(**values).add_cte(new_head))
    return entry


def _seal(entry: AuditEntry, key: AuditKey, seq: int, prev_hash: str | None) -> None:
    entry.chain_seq, entry.prev_hash = seq, prev_hash
    # A string actor id (the edge passes one) in the form it is read back in.
    entry.actor_id = UUID(str(entry.actor_id)) if entry.actor_id is not None else None
    entry.entry_hash = key.entry_mac({name: getattr(entry, name) for name in ENTRY_FIELDS})


# `append`'s two statements for many entries, as the driver's own text: asyncpg keeps them prepared per connection.
_COLUMNS = tuple(c.name for c in AuditEntry.__table__.columns if c.name != "id")
_ADVANCE_BY_SQL = "UPDATE audit_chain_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash"
_INSERT_SQL = (
    f"WITH new_head AS (UPDATE audit_chain_head SET hash = ${len(_COLUMNS) + 1} WHERE id = 1) "
    f"INSERT INTO audit_log ({', '.join(_COLUMNS)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(_COLUMNS)))})"
)


async def append_many_committed(engine: AsyncEngine, key: AuditKey, entries: list[AuditEntry]) -> None:
    """`entries` chained one after another in a transaction of their own, committed when this returns: the
    edge's entries of the writes waiting together (audit_appender.py). The head is locked and advanced once for
    all of them; each entry is sealed onto the one before it, as `append` would have done one by one.

    On the pooled connection's asyncpg connection rather than an ORM session: building the insert, its cache
    key and the session's bookkeeping cost more than the round trips (half the gateway's CPU of auditing a
    write in `make bench`). SQLAlchemy's pool still lends, pings and takes back the connection; its JSONB codec
    on that connection takes the document as text. The inserts go in one pipelined `executemany`; each also
    sets the head's MAC, so the last leaves the last entry's."""
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None
        async with driver.transaction():
            last_seq, prev_hash = await driver.fetchrow(_ADVANCE_BY_SQL, len(entries))
            rows = []
            for seq, entry in enumerate(entries, start=last_seq - len(entries) + 1):
                _seal(entry, key, seq, prev_hash)
                prev_hash = entry.entry_hash
                values = [getattr(entry, name) for name in _COLUMNS]
                if entry.changes is not None:
                    values[_COLUMNS.index("changes")] = json.dumps(entry.changes)  # as SQLAlchemy serializes it
                rows.append((*values, entry.entry_hash))
            await driver.executemany(_INSERT_SQL, rows)
