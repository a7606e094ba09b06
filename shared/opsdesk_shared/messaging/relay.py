"""The outbox relay: publishes committed outbox rows with publisher confirms, then marks them sent.

Any number of relays may run (one per worker replica): rows are claimed with `FOR UPDATE SKIP LOCKED`,
and a row is marked published only after the broker confirmed it. A crash between the confirm and the
mark republishes the row, which consumers absorb because they are idempotent by event id.
"""

import asyncio
import json
from typing import Any

import aio_pika
import asyncpg
import structlog
from aio_pika.abc import AbstractExchange

from opsdesk_shared import wakeups
from opsdesk_shared.messaging.tables import OUTBOX_CHANNEL
from opsdesk_shared.observability import correlation_id

log = structlog.get_logger(__name__)

_CLAIM = """
SELECT seq, id, type, envelope FROM outbox_message
WHERE published_at IS NULL
ORDER BY seq
LIMIT $1
FOR UPDATE SKIP LOCKED
"""


def message_for(envelope: dict[str, Any]) -> aio_pika.Message:
    return aio_pika.Message(
        body=json.dumps(envelope, ensure_ascii=False).encode(),
        content_type="application/json",
        # aio-pika's default is NOT persistent: without this a broker restart loses the event.
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=str(envelope["id"]),
        type=envelope["type"],
        correlation_id=envelope.get("correlation_id"),
        headers={"version": envelope.get("version", 1), "producer": envelope.get("producer", "")},
    )


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        exchange: AbstractExchange,
        *,
        batch_size: int = 200,
        poll_interval_s: float = 1.0,
        retention_days: float = 7,
    ) -> None:
        self.dsn = dsn
        self.exchange = exchange
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        # Published rows are kept this long: a restore publishes them all again (OPSDESK_OUTBOX_RETENTION_DAYS).
        self.retention_days = retention_days
        self._wake = asyncio.Event()
        self._pool: asyncpg.Pool | None = None
        # Signals for whoever runs the relay (tests wait on them rather than sleep): `listening` once a commit
        # wakes it; `idle` while it waits with nothing claimable left (cleared when a pass starts).
        self.listening = asyncio.Event()
        self.idle = asyncio.Event()

    async def publish_pending(self) -> int:
        """Publish one batch of unpublished rows; returns how many rows were claimed."""
        async with self._require_pool().acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self.batch_size)
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish(row) for row in rows), return_exceptions=True)
            done = [row["seq"] for row, result in zip(rows, results, strict=True) if result is None]
            failed = [
                (row["seq"], repr(result)[:500])
                for row, result in zip(rows, results, strict=True)
                if result is not None
            ]
            if done:
                await conn.execute("UPDATE outbox_message SET published_at = now() WHERE seq = ANY($1)", done)
            if failed:
                await conn.executemany(
                    "UPDATE outbox_message SET attempts = attempts + 1, last_error = $2 WHERE seq = $1", failed
                )
        if failed:
            # Raised after the commit so the confirmed rows stay marked; the caller backs off.
            raise RuntimeError(f"{len(failed)} outbox rows were not confirmed: {failed[0][1]}")
        return len(rows)

    async def _publish(self, row: asyncpg.Record) -> BaseException | None:
        envelope = json.loads(row["envelope"])
        token = correlation_id.set(envelope.get("correlation_id"))
        try:
            await self.exchange.publish(message_for(envelope), routing_key=row["type"], mandatory=True)
            return None
        except Exception as exc:  # reported per row; the row stays unpublished and is retried
            return exc
        finally:
            correlation_id.reset(token)

    async def open(self) -> None:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=2)

    def _require_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the outbox relay is not open: call open() first")
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def run(self, stop: asyncio.Event) -> None:
        await self.open()
        listener = await wakeups.listen(self.dsn, OUTBOX_CHANNEL, lambda *_: self._wake.set())
        if listener is not None:
            self.listening.set()
        backoff = self.poll_interval_s
        last_purge = 0.0
        try:
            while not stop.is_set():
                # Cleared before the pass, not after: a commit notified during the pass starts the next one.
                self._wake.clear()
                self.idle.clear()
                try:
                    claimed = await self.publish_pending()
                    backoff = self.poll_interval_s
                    if claimed == self.batch_size:
                        continue  # more waiting: no sleep
                    loop = asyncio.get_running_loop()
                    if loop.time() - last_purge > 3600:
                        await self._require_pool().execute(
                            "DELETE FROM outbox_message WHERE published_at < now() - make_interval(secs => $1)",
                            self.retention_days * 86400,
                        )
                        last_purge = loop.time()
                except Exception as exc:  # broker or database away: back off and try again
                    log.warning("outbox_relay_retrying", error=repr(exc)[:300], backoff_s=backoff)
                    await _sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 30.0)
                    if listener is None or listener.is_closed():
                        listener = await wakeups.listen(self.dsn, OUTBOX_CHANNEL, lambda *_: self._wake.set())
                        if listener is not None:
                            self.listening.set()
                    continue
                self.idle.set()
                await wakeups.wait_any(stop, self._wake, self.poll_interval_s)
        finally:
            await wakeups.close(listener)
            await self.close()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
