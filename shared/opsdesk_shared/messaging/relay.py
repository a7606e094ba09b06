"""The outbox relay: publishes committed outbox rows with publisher confirms, then marks them sent.

Any number of relays may run (one per worker replica): rows are claimed with `FOR UPDATE SKIP LOCKED`,
and a row is marked published only after the broker confirmed it. A crash between the confirm and the
mark republishes the row, which consumers absorb because they are idempotent by event id.

One bad row never holds the others. A row the broker refuses (a negative confirm) or that cannot even be
made into a message is charged an attempt and waits `retry_base_s * 2**(attempts-1)` (at most
`retry_max_s`) before it is claimed again; after `max_attempts` it is parked (`parked_at`), counted in
`opsdesk_outbox_parked_rows` (alerted on) and left until `python -m <service> outbox republish` after a
fix. Rows waiting or parked are not claimed, so the rows behind them leave at once. A failure of the
connection itself (broker away, channel closed, timeout) is no row's fault: no row is charged, and the
relay as a whole backs off as before, so a long broker outage parks nothing. Such rows were perhaps
published but never confirmed (a cluster node lost mid-publish, before the robust connection moved on to
the next node): they stay unsent, are counted in `opsdesk_outbox_unconfirmed_total` and go again on the
next pass; a consumer that had one already skips the copy.

Routability is declared, not borrowed. Events are published `mandatory`: a message no queue is bound for
comes back. That used to fail the row, which held every event of that type for ever in a deployment
without the reporting service, and only reporting's `#` binding made everything routable (so it also hid
a missing consumer queue). Now `contracts/routing.py` declares the consumer queues every deployment has
and what they bind. A returned event one of them must receive means that queue is missing (a rebuilt
broker before the workers re-declared it): the row is charged and retried like a refused one, and parked
if the queue never comes. A returned event no required consumer binds has no subscriber in this
deployment: the row is marked sent with `last_error = 'unroutable: ...'` and counted in
`opsdesk_outbox_unroutable_total{type}`, never retried.
"""

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import aio_pika
import asyncpg
import structlog
from aio_pika.abc import AbstractExchange
from aiormq.exceptions import DeliveryError, PublishError
from prometheus_client import Counter, Gauge

from opsdesk_shared import wakeups
from opsdesk_shared.contracts.routing import required_queues
from opsdesk_shared.messaging.tables import OUTBOX_CHANNEL
from opsdesk_shared.observability import correlation_id

log = structlog.get_logger(__name__)

PARKED_ROWS = Gauge("opsdesk_outbox_parked_rows", "Outbox rows parked after too many failed publishes", ["service"])
# The backlog: rows waiting to be published (parked ones aside), and how long the oldest has waited. A relay
# that cannot keep up or cannot publish shows here before anyone misses an SMS (deploy/monitoring's rules).
PENDING_ROWS = Gauge("opsdesk_outbox_pending_rows", "Outbox rows not yet published", ["service"])
OLDEST_PENDING = Gauge("opsdesk_outbox_oldest_pending_seconds", "Age of the oldest unpublished row", ["service"])
PARKED = Counter("opsdesk_outbox_parked_total", "Outbox rows parked", ["service", "type"])
ROW_FAILURES = Counter("opsdesk_outbox_row_failures_total", "Outbox rows refused or unpublishable", ["service"])
UNCONFIRMED = Counter(
    "opsdesk_outbox_unconfirmed_total", "Outbox rows published but not confirmed, sent again", ["service"]
)
UNROUTABLE = Counter(
    "opsdesk_outbox_unroutable_total", "Events no queue was bound for (no subscriber), marked sent", ["service", "type"]
)

GAUGE_INTERVAL_S = 15

_CLAIM = """
SELECT seq, id, type, envelope, attempts FROM outbox_message
WHERE published_at IS NULL AND parked_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())
ORDER BY seq
LIMIT $1
FOR UPDATE SKIP LOCKED
"""
# One failed row: one more attempt, its wait doubled each time, parked at the last attempt.
_CHARGE = """
UPDATE outbox_message SET
    attempts = attempts + 1,
    last_error = $2,
    next_attempt_at = now() + make_interval(secs => least($3 * power(2, attempts), $4)),
    parked_at = CASE WHEN attempts + 1 >= $5 THEN now() END
WHERE seq = $1
RETURNING parked_at IS NOT NULL AS parked
"""
_COUNT_PARKED = "SELECT count(*) FROM outbox_message WHERE parked_at IS NOT NULL AND published_at IS NULL"
_BACKLOG = (
    "SELECT count(*) FILTER (WHERE parked_at IS NULL) AS pending,"
    " count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked,"
    " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL)), 0) AS oldest_s"
    " FROM outbox_message WHERE published_at IS NULL"
)
# `python -m <service> outbox republish`: parked rows claimable again at once, with a fresh attempt budget.
REPUBLISH = (
    "UPDATE outbox_message SET parked_at = NULL, next_attempt_at = NULL, attempts = 0 "
    "WHERE parked_at IS NOT NULL AND published_at IS NULL AND ($1::uuid[] IS NULL OR id = ANY($1)) "
    "RETURNING id"
)
# `outbox republish --unroutable`: events sent as having no subscriber, again (a consumer's queue that came
# after them: reporting deployed later, or its queue lost in a rebuilt broker). Consumers that had one skip it.
UNROUTABLE_PREFIX = "unroutable:"
REPUBLISH_UNROUTABLE = (
    "UPDATE outbox_message SET published_at = NULL, last_error = NULL "
    "WHERE published_at IS NOT NULL AND starts_with(last_error, $1) RETURNING id"
)


class RowFailure(Exception):
    """A publish failure that is the row's own (refused by the broker, or not a valid envelope)."""


@dataclass(frozen=True)
class Unroutable:
    """The broker returned the message: no queue is bound for its type in this deployment."""

    reason: str


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
        service: str = "service",
        max_attempts: int = 10,
        retry_base_s: float = 1.0,
        retry_max_s: float = 300.0,
    ) -> None:
        self.dsn = dsn
        self.exchange = exchange
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        # Published rows are kept this long: a restore publishes them all again (OPSDESK_OUTBOX_RETENTION_DAYS).
        self.retention_days = retention_days
        self.service = service
        # Per row: OPSDESK_OUTBOX_MAX_ATTEMPTS, OPSDESK_OUTBOX_RETRY_BASE_S, OPSDESK_OUTBOX_RETRY_MAX_S.
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.retry_max_s = retry_max_s
        self._wake = asyncio.Event()
        self._pool: asyncpg.Pool | None = None
        # Signals for whoever runs the relay (tests wait on them rather than sleep): `listening` once a commit
        # wakes it; `idle` while it waits with nothing claimable left (cleared when a pass starts).
        self.listening = asyncio.Event()
        self.idle = asyncio.Event()
        # How often the whole relay backed off (the broker or the database away): one bad row must not count.
        self.stalls = 0

    async def publish_pending(self) -> int:
        """Publish one batch of claimable rows; returns how many rows were claimed.

        Rows refused by the broker are charged an attempt (and parked at the last); rows the broker
        returned as unroutable are marked sent. A connection failure charges no row and is raised after
        the commit (the confirmed rows stay marked), for the caller to back off."""
        transport_errors: list[BaseException] = []
        async with self._require_pool().acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self.batch_size)
            if not rows:
                return 0
            results = await asyncio.gather(*(self._publish(row) for row in rows), return_exceptions=True)
            done, unroutable, failed = [], [], []
            for row, result in zip(rows, results, strict=True):
                if result is None:
                    done.append(row["seq"])
                elif isinstance(result, Unroutable):
                    unroutable.append((row["seq"], result.reason))
                    UNROUTABLE.labels(self.service, row["type"]).inc()
                elif isinstance(result, RowFailure):
                    failed.append((row, f"{result}: {result.__cause__!r}"[:500]))
                else:
                    transport_errors.append(result)
            if done:
                await conn.execute("UPDATE outbox_message SET published_at = now() WHERE seq = ANY($1)", done)
            if unroutable:
                await conn.executemany(
                    "UPDATE outbox_message SET published_at = now(), last_error = $2 WHERE seq = $1", unroutable
                )
                log.warning("outbox_unroutable", rows=len(unroutable), reason=unroutable[0][1])
            for row, error in failed:
                parked = await conn.fetchval(
                    _CHARGE, row["seq"], error, self.retry_base_s, self.retry_max_s, self.max_attempts
                )
                ROW_FAILURES.labels(self.service).inc()
                if parked:
                    PARKED.labels(self.service, row["type"]).inc()
                    log.error("outbox_row_parked", seq=row["seq"], id=str(row["id"]), type=row["type"], error=error)
                else:
                    log.warning("outbox_row_retrying", seq=row["seq"], attempts=row["attempts"] + 1, error=error)
            if failed:
                PARKED_ROWS.labels(self.service).set(await conn.fetchval(_COUNT_PARKED))
        if transport_errors:  # published but never confirmed (a node lost mid-publish): sent again next pass
            UNCONFIRMED.labels(self.service).inc(len(transport_errors))
            log.warning("outbox_unconfirmed", rows=len(transport_errors), error=repr(transport_errors[0])[:300])
            raise RuntimeError(f"{len(transport_errors)} outbox rows were not confirmed: {transport_errors[0]!r:.300}")
        return len(rows)

    async def _publish(self, row: asyncpg.Record) -> BaseException | Unroutable | None:
        envelope = json.loads(row["envelope"])
        token = correlation_id.set(envelope.get("correlation_id") if isinstance(envelope, dict) else None)
        try:
            try:
                message = message_for(envelope)
            except Exception as exc:  # not an envelope: retrying will not mend it, but a fix and republish may
                raise RowFailure("not a publishable envelope") from exc
            try:
                await self.exchange.publish(message, routing_key=row["type"], mandatory=True)
            except PublishError as exc:  # basic.return: no queue bound for this type
                missing = required_queues(row["type"])
                if missing:  # a consumer OpsDesk cannot run without has lost its queue: retry, then park
                    raise RowFailure(f"unroutable, but required by {', '.join(missing)}") from exc
                reply = getattr(exc.frame, "reply_text", "")
                return Unroutable(f"{UNROUTABLE_PREFIX} no queue bound for {row['type']!r} ({reply})")
            except DeliveryError as exc:  # basic.nack: the broker refused this message
                raise RowFailure("refused by the broker") from exc
            return None
        except Exception as exc:  # reported per row; the row stays unpublished and is retried
            return exc
        finally:
            correlation_id.reset(token)

    async def refresh_parked_gauge(self) -> int:
        """Sets the backlog gauges (parked rows leave by a republish from another process, so they are
        counted, not tracked); returns the parked rows."""
        row = await self._require_pool().fetchrow(_BACKLOG)
        assert row is not None
        PARKED_ROWS.labels(self.service).set(row["parked"])
        PENDING_ROWS.labels(self.service).set(row["pending"])
        OLDEST_PENDING.labels(self.service).set(float(row["oldest_s"]))
        return int(row["parked"])

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
        last_gauge = float("-inf")
        try:
            while not stop.is_set():
                # Cleared before the pass, not after: a commit notified during the pass starts the next one.
                self._wake.clear()
                self.idle.clear()
                try:
                    loop = asyncio.get_running_loop()
                    if loop.time() - last_gauge > GAUGE_INTERVAL_S:  # busy or idle: a backlog must show
                        await self.refresh_parked_gauge()
                        last_gauge = loop.time()
                    claimed = await self.publish_pending()
                    backoff = self.poll_interval_s
                    if claimed == self.batch_size:
                        continue  # more waiting: no sleep
                    if loop.time() - last_purge > 3600:
                        await self._require_pool().execute(
                            "DELETE FROM outbox_message WHERE published_at < now() - make_interval(secs => $1)",
                            self.retention_days * 86400,
                        )
                        last_purge = loop.time()
                except Exception as exc:  # broker or database away: back off and try again
                    log.warning("outbox_relay_retrying", error=repr(exc)[:300], backoff_s=backoff)
                    self.stalls += 1
                    await _sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, 30.0)
                    if listener is None or listener.is_closed():
                        listener = await wakeups.listen(self.dsn, OUTBOX_CHANNEL, lambda *_: self._wake.set())
                        if listener is not None:
                            self.listening.set()
                    continue
                self.idle.set()
                # A row waiting out its back-off is due again within the poll interval at the latest.
                await wakeups.wait_any(stop, self._wake, self.poll_interval_s)
        finally:
            await wakeups.close(listener)
            await self.close()


async def republish_parked(dsn: str, ids: list[UUID] | None, *, unroutable: bool = False) -> list[UUID]:
    """Make parked rows claimable again (all of them, or those with these event ids), or with `unroutable`
    the rows sent as having no subscriber; and wake the relays."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            if unroutable:
                rows = await conn.fetch(REPUBLISH_UNROUTABLE, UNROUTABLE_PREFIX)
            else:
                rows = await conn.fetch(REPUBLISH, ids)
            await conn.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)
    finally:
        await conn.close()
    return [r["id"] for r in rows]


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
