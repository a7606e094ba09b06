"""Writes refused to callers nobody verified, audited as one entry per client address per window.

Every audit entry takes the chain's head (audit_chain.py), so a row per refused request would
let anyone, without an account, flood the log and queue every real write behind theirs. What such a request
tells the auditor is who (the address), what was tried and how it was answered, and how often: that is kept,
counted per (action, status), and written once per window by each gateway process (at shutdown too). Failed
sign-ins keep their per-attempt row, with the account name, in `login_attempt`, which the lockout reads.

Writes by a verified caller (a valid access token or API key, or a successful sign-in) are audited a row
each, whatever their answer: they are bounded by that caller's own rate limit and say who did it.
"""

import asyncio
from collections import Counter
from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import audit_chain
from gateway.admin.models import AuditEntry
from gateway.audit_chain import AuditKey

log = structlog.get_logger(__name__)

ACTION = "unauthenticated.failures"
# Bounds on what one window holds in memory and writes, whatever is thrown at it: past them, further
# addresses are counted together under no address, further kinds of request of one address as "other".
MAX_ADDRESSES = 1000
MAX_KINDS_PER_ADDRESS = 20
OTHER = ("other", 0)


class UnauthenticatedFailures:
    def __init__(self) -> None:
        self._since = datetime.now(UTC)
        self._counts: dict[str | None, Counter[tuple[str, int]]] = {}

    def count(self, address: str | None, action: str, status: int, n: int = 1) -> None:
        if address not in self._counts and len(self._counts) >= MAX_ADDRESSES:
            address = None
        kinds = self._counts.setdefault(address, Counter())
        kind = (action, status)
        if kind not in kinds and len(kinds) >= MAX_KINDS_PER_ADDRESS:
            kind = OTHER
        kinds[kind] += n

    def _take(self) -> tuple[datetime, dict[str | None, Counter[tuple[str, int]]]]:
        since, counts = self._since, self._counts
        self._since, self._counts = datetime.now(UTC), {}
        return since, counts

    async def flush(self, sessions: async_sessionmaker[AsyncSession], key: AuditKey) -> int:
        """Writes the window's entries in one transaction; kept for the next window if that fails."""
        since, counts = self._take()
        if not counts:
            return 0
        now = datetime.now(UTC)
        entries = [_entry(address, kinds, since, now) for address, kinds in counts.items()]
        try:
            async with sessions() as session, session.begin():
                for entry in entries:
                    await audit_chain.append(session, key, entry)
        except Exception as exc:  # the database may be restarting: count them into the next window
            log.error("unauthenticated_audit_failed", addresses=len(counts), error=repr(exc)[:200])
            self._since = since
            for address, kinds in counts.items():
                for (action, status), n in kinds.items():
                    self.count(address, action, status, n)
            return 0
        return len(entries)


def _entry(address: str | None, kinds: Counter[tuple[str, int]], since: datetime, now: datetime) -> AuditEntry:
    return AuditEntry(
        at=now,
        action=ACTION,
        method="*",
        path="*",
        status=kinds.most_common(1)[0][0][1],
        client_ip=address,
        changes=[
            {"op": "refused", "action": action, "status": status, "count": n, "since": since.isoformat()}
            for (action, status), n in kinds.most_common()
        ],
    )


async def run(
    failures: UnauthenticatedFailures,
    sessions: async_sessionmaker[AsyncSession],
    key: AuditKey,
    stop: asyncio.Event,
    *,
    window_s: float,
) -> None:
    """Flushes every `window_s` until `stop`, then once more, so a graceful shutdown loses nothing."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=window_s)
        except TimeoutError:
            pass
        await failures.flush(sessions, key)
