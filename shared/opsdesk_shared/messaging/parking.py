"""Dead-lettered messages parked in the consumer's own database, and requeued from there on request.

A message that keeps failing ends in `<queue>.dlq` (consumer.py). The broker is not backed up, so each
worker moves what reaches its dead-letter queues into `parked_message` in its own database: the insert
commits, then the message is acked, so a message is always in one place or the other (a crash between the
two parks it again, which the unique `(queue, message_id)` absorbs). There it is in the dumps, can be read
with SQL, and is requeued on request: `python -m <service> requeue-parked` (or a restore) stamps
`requeue_requested_at`, and the worker publishes the message to its queue again with its attempts reset,
deleting the row in the same transaction (a crash between the confirm and the commit sends it twice, which
the consumer's inbox absorbs).
"""

import asyncio
import json
from collections.abc import Sequence

import aio_pika
import asyncpg
import structlog
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage
from prometheus_client import Counter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opsdesk_shared.messaging.consumer import ATTEMPT_HEADER, LAST_ERROR_HEADER, Subscription
from opsdesk_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)
# Every dead letter is a failed piece of work waiting for a human (deploy/monitoring alerts on any).
DEAD_LETTERS = Counter("opsdesk_dead_letters_total", "Messages dead-lettered and parked", ["queue", "type"])

_PARK = text(
    "INSERT INTO parked_message (queue, message_id, type, body, headers, last_error) "
    "VALUES (:queue, :message_id, :type, :body, CAST(:headers AS jsonb), :last_error) "
    "ON CONFLICT (queue, message_id) DO NOTHING"
)
_CLAIM_REQUESTED = text(
    "SELECT seq, queue, message_id, type, body, headers FROM parked_message "
    "WHERE requeue_requested_at IS NOT NULL AND queue = ANY(:queues) "
    "ORDER BY seq LIMIT :limit FOR UPDATE SKIP LOCKED"
)
REQUEST_REQUEUE = "UPDATE parked_message SET requeue_requested_at = now() WHERE requeue_requested_at IS NULL"


class DeadLetterParker:
    """Moves everything that reaches one subscription's `<queue>.dlq` into `parked_message`."""

    def __init__(
        self, subscription: Subscription, sessions: async_sessionmaker[AsyncSession], channel: AbstractChannel
    ) -> None:
        self.queue_name = subscription.queue.dead_letter_queue
        self.owner = subscription.name
        self.sessions = sessions
        self.channel = channel

    async def start(self) -> None:
        queue = await self.channel.declare_queue(self.queue_name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.consume(self.on_message, no_ack=False)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        headers = dict(message.headers or {})
        last_error = headers.get(LAST_ERROR_HEADER)
        try:
            async with self.sessions() as session, session.begin():
                await session.execute(
                    _PARK,
                    {
                        "queue": self.owner,
                        "message_id": message.message_id,
                        "type": message.type,
                        "body": message.body,
                        "headers": json.dumps(headers, default=str),
                        "last_error": str(last_error) if last_error is not None else None,
                    },
                )
        except Exception as exc:  # database away: leave it in the dead-letter queue and try again later
            log.warning("dead_letter_park_failed", queue=self.queue_name, error=repr(exc)[:300])
            await asyncio.sleep(1)
            await message.nack(requeue=True)
            return
        await message.ack()
        DEAD_LETTERS.labels(self.owner, message.type or "").inc()
        log.info("dead_letter_parked", queue=self.owner, message_id=message.message_id, type=message.type)


async def requeue_requested(
    sessions: async_sessionmaker[AsyncSession], exchange: AbstractExchange, queues: Sequence[str], limit: int = 100
) -> int:
    """Publishes parked messages whose requeue was requested to their queue (confirmed), and removes them."""
    async with sessions() as session, session.begin():
        rows = (await session.execute(_CLAIM_REQUESTED, {"queues": list(queues), "limit": limit})).all()
        for row in rows:
            kept = json.loads(row.headers) if isinstance(row.headers, str) else row.headers
            # A fresh start: the whole retry ladder again before it could be parked again.
            headers = {k: v for k, v in kept.items() if k not in (ATTEMPT_HEADER, LAST_ERROR_HEADER)}
            await exchange.publish(
                aio_pika.Message(
                    body=row.body,
                    headers=headers,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=row.message_id,
                    type=row.type,
                ),
                routing_key=row.queue,
                mandatory=True,
            )
            log.info("parked_message_requeued", queue=row.queue, message_id=row.message_id, type=row.type)
        if rows:
            await session.execute(
                text("DELETE FROM parked_message WHERE seq = ANY(:seqs)"), {"seqs": [row.seq for row in rows]}
            )
    return len(rows)


class ParkedRequeuer:
    """The worker's task that acts on requeue requests (polled: they are rare and need no haste)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        exchange: AbstractExchange,
        queues: Sequence[str],
        *,
        interval_s: float = 5.0,
    ) -> None:
        self.sessions = sessions
        self.exchange = exchange
        self.queues = list(queues)
        self.interval_s = interval_s
        self.__name__ = "parked-requeuer"

    async def __call__(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await requeue_requested(self.sessions, self.exchange, self.queues) > 0:
                    continue
            except Exception as exc:  # broker or database away: the rows stay requested
                log.warning("parked_requeue_failed", error=repr(exc)[:300])
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                pass


async def request_requeue(settings: ServiceSettings) -> None:
    """`python -m <service> requeue-parked`: every parked message goes back to its queue (the running
    worker publishes them within seconds); one that fails again is retried and parked again."""
    conn = await asyncpg.connect(settings.asyncpg_dsn)
    try:
        status = await conn.execute(REQUEST_REQUEUE)
    finally:
        await conn.close()
    print(f"parked messages to requeue: {int(status.split()[-1])}")
