"""Consuming events: idempotent by event id, acked only after the handler's transaction commits.

A handler runs inside a transaction that also records `(consumer, message_id)` in `inbox_message`; a
redelivered event finds its row and is acked without effect. A failing handler is retried through the
queue's wait queues (`<queue>.retry.<delay>s`, our own attempt header, since quorum queues own
`x-delivery-count`), and after the last delay the message goes to `<queue>.dlq`, from which the worker parks it in the
service's own database for a human to look at and requeue (parking.py).

Deliveries are handled in batches: whatever has arrived (up to the prefetch) goes through the handler
one event after another in a single transaction, with one inbox claim and one commit, and is acked
after that commit; a subscription's `prepare`, if any, runs first in that transaction with the batch's
unseen events, and its `finish` last, for what is cheaper done once for the batch (one multi-row insert
rather than one per event). Under load this spares each event a transaction of its own (a checkout, a ping, a
BEGIN, a claim and a COMMIT) and an ack frame (one `multiple` ack covers the batch); when idle a batch
is one event, as before. Batches of one consumer run one
at a time, so the locks a handler takes (a ticket, a rollup month) are never held by a sibling batch of
the same process. If anything in a batch fails, the batch is rolled back and its events are handled
again one by one, each in its own transaction, so only the failing event is retried or dead-lettered.

Across replicas, two batches may take the same rows in opposite orders; PostgreSQL then aborts one
(deadlock detected) and its events go through singly, which is always safe. A consumer whose events
nearly all update the same few rows (reporting's counters) sets `serial_batches`: its transactions,
batches and single events alike, then take one lock on the consumer's name first and run one at a time
across every replica.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.messaging.topology import QueueSpec, declare_consumer_queue
from opsdesk_shared.observability import ROUTINE_EVENTS_LOGGER, correlation_id

log = structlog.get_logger(__name__)
# One line per event handled: routine, so on a logger of its own that development quietens
# (observability.ROUTINE_EVENTS_LOGGER); tests and production keep it (it carries the correlation id).
routine_log = structlog.get_logger(ROUTINE_EVENTS_LOGGER)

ATTEMPT_HEADER = "x-opsdesk-attempt"
LAST_ERROR_HEADER = "x-opsdesk-last-error"
Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]
# Run once after a transaction's events, before its commit: what the handlers left to do for all of them at
# once (reporting's rollup upserts, summed over the batch).
Finisher = Callable[[AsyncSession], Awaitable[None]]
# Run once after the inbox claim, before the handlers, with the transaction's events not seen before (in
# delivery order): what the handlers would otherwise each do in a round trip of their own (reporting stores
# the batch's events in one insert and takes its tickets' locks in one statement).
Preparer = Callable[[AsyncSession, list[Envelope]], Awaitable[None]]
# Event type (which is also its routing key) -> the handler that applies it.
HandlerTable = Mapping[str, Handler]

# The ids of a batch this consumer had not seen (a duplicate within the batch is claimed once).
_CLAIM_INBOX = text(
    "INSERT INTO inbox_message (consumer, message_id) SELECT :consumer, unnest(CAST(:message_ids AS uuid[])) "
    "ON CONFLICT DO NOTHING RETURNING message_id"
)

# The same, after the consumer's lock (`serial_batches`), in one round trip: the claim reads the lock's row, so
# the lock is held before any id is claimed, and the handlers' later statements see what the previous holder
# committed.
_LOCK_AND_CLAIM_INBOX = text(
    "WITH serial AS (SELECT pg_advisory_xact_lock(hashtextextended(:lock_key, 0))) "
    "INSERT INTO inbox_message (consumer, message_id) "
    "SELECT :consumer, unnest(CAST(:message_ids AS uuid[])) FROM serial "
    "ON CONFLICT DO NOTHING RETURNING message_id"
)

Delivery = tuple[AbstractIncomingMessage, Envelope]


@dataclass(frozen=True)
class Subscription:
    """A consumer: its queue (name, routing keys, retry delays) and the handler for its events."""

    queue: QueueSpec
    handler: Handler
    serial_batches: bool = False
    finish: Finisher | None = None
    prepare: Preparer | None = None

    @property
    def name(self) -> str:
        return self.queue.name

    @classmethod
    def of(cls, queue: str, handlers: "HandlerTable", *, serial_batches: bool = False) -> "Subscription":
        """A queue bound to exactly the event types of `handlers` (`HANDLERS = {EventType.type: handler}`),
        each event going to its handler: the routing keys are derived from the table, never kept in sync
        by hand."""
        table = dict(handlers)

        async def dispatch(session: AsyncSession, envelope: Envelope) -> None:
            handler = table.get(envelope.type)
            if handler is not None:  # None only through a binding an older release left on the queue
                await handler(session, envelope)

        return cls(QueueSpec(queue, routing_keys=tuple(table)), dispatch, serial_batches)


class EventConsumer:
    def __init__(
        self,
        subscription: Subscription,
        sessions: async_sessionmaker[AsyncSession],
        channel: AbstractChannel,
        *,
        max_batch: int = 32,
    ) -> None:
        self.subscription = subscription
        self.sessions = sessions
        self.channel = channel
        self.max_batch = max_batch
        self._arrived: asyncio.Queue[Delivery | None] = asyncio.Queue()
        self._lane: asyncio.Task[None] | None = None
        # Deliveries being dead-lettered outside the lane (malformed envelopes): while any is, a batch's
        # deliveries are acked one by one, never with `multiple` (which would ack that one too).
        self._settling = 0

    async def start(self) -> AbstractQueue:
        queue = await declare_consumer_queue(self.channel, self.subscription.queue)
        self._lane = asyncio.create_task(self._handle_batches(), name=f"consume-{self.subscription.name}")
        await queue.consume(self.on_message, no_ack=False)
        return queue

    async def stop(self) -> None:
        """Finishes the batch in hand; deliveries still waiting stay unacked, so the broker hands them
        out again once the channel closes."""
        if self._lane is not None:
            self._arrived.put_nowait(None)
            await self._lane

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(message.body)
        except ValidationError as exc:
            self._settling += 1
            try:
                await self._dead_letter(message, f"malformed envelope: {exc.errors()[:1]}")
            finally:
                self._settling -= 1
            return
        self._arrived.put_nowait((message, envelope))

    async def _handle_batches(self) -> None:
        while (first := await self._arrived.get()) is not None:
            batch = [first]
            stopping = False
            while len(batch) < self.max_batch and not self._arrived.empty():
                nxt = self._arrived.get_nowait()
                if nxt is None:
                    stopping = True
                    break
                batch.append(nxt)
            try:
                await self._consume(batch)
            except Exception as exc:  # never let one batch end the lane; its events are redelivered
                log.error("event_batch_unhandled", consumer=self.subscription.name, error=repr(exc)[:300])
            if stopping:
                return

    async def _consume(self, batch: list[Delivery]) -> None:
        if len(batch) > 1:
            try:
                applied = await self._handle([envelope for _, envelope in batch])
            except Exception as exc:
                log.info(
                    "event_batch_failed_handling_singly",
                    consumer=self.subscription.name,
                    events=len(batch),
                    error=repr(exc)[:300],
                )
            else:
                await self._ack_batch(batch, applied)
                return
        for message, envelope in batch:
            await self._consume_one(message, envelope)

    async def _consume_one(self, message: AbstractIncomingMessage, envelope: Envelope) -> None:
        token = correlation_id.set(envelope.correlation_id)
        try:
            try:
                [applied] = await self._handle([envelope])
            except Exception as exc:  # the handler's failure decides retry or dead letter
                log.warning(
                    "event_handler_failed",
                    consumer=self.subscription.name,
                    event_type=envelope.type,
                    event_id=str(envelope.id),
                    error=repr(exc)[:300],
                )
                await self._retry_or_dead_letter(message, repr(exc)[:500])
                return
            await self._ack(message, envelope, applied)
        finally:
            correlation_id.reset(token)

    async def _ack(self, message: AbstractIncomingMessage, envelope: Envelope, applied: bool) -> None:
        # Ack strictly after the commit: a crash before this line redelivers, and the inbox absorbs it.
        await message.ack()
        self._log_consumed(envelope, applied)

    def _log_consumed(self, envelope: Envelope, applied: bool) -> None:
        routine_log.info(
            "event_consumed" if applied else "event_duplicate_ignored",
            consumer=self.subscription.name,
            event_type=envelope.type,
            event_id=str(envelope.id),
        )

    async def _ack_batch(self, batch: list[Delivery], applied: list[bool]) -> None:
        """Acks a committed batch. Its deliveries are consecutive on the channel and every earlier one is
        settled (batches run one at a time), so one `multiple` ack of the last covers them all: one frame
        instead of one per event. Otherwise (a malformed delivery being dead-lettered meanwhile, or a batch
        spanning a reconnect) each is acked on its own."""
        tags = [message.delivery_tag for message, _ in batch]
        first = tags[0] if isinstance(tags[0], int) else None
        if self._settling == 0 and first is not None and tags == list(range(first, first + len(tags))):
            await batch[-1][0].ack(multiple=True)
            for (_, envelope), was_applied in zip(batch, applied, strict=True):
                self._log_consumed(envelope, was_applied)
            return
        for (message, envelope), was_applied in zip(batch, applied, strict=True):
            await self._ack(message, envelope, was_applied)

    async def _handle(self, envelopes: list[Envelope]) -> list[bool]:
        """One transaction for the events (a batch, or one); says for each whether it was applied (False:
        seen before, or a duplicate of an earlier event in the same batch)."""
        applied = []
        async with self.sessions() as session, session.begin():
            claim = {"consumer": self.subscription.name, "message_ids": [envelope.id for envelope in envelopes]}
            if self.subscription.serial_batches:
                claimed = await session.execute(
                    _LOCK_AND_CLAIM_INBOX, {**claim, "lock_key": f"consumer-batch:{self.subscription.name}"}
                )
            else:
                claimed = await session.execute(_CLAIM_INBOX, claim)
            unseen = {row.message_id for row in claimed}
            if self.subscription.prepare is not None and unseen:
                await self.subscription.prepare(session, _first_of_each(envelopes, unseen))
            for envelope in envelopes:
                if envelope.id not in unseen:
                    applied.append(False)
                    continue
                unseen.discard(envelope.id)
                token = correlation_id.set(envelope.correlation_id)
                try:
                    await self.subscription.handler(session, envelope)
                finally:
                    correlation_id.reset(token)
                applied.append(True)
            if self.subscription.finish is not None:
                await self.subscription.finish(session)
        return applied

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, error: str) -> None:
        header = (message.headers or {}).get(ATTEMPT_HEADER, 0)
        attempt = int(header) if isinstance(header, int | str) else 0
        delays = self.subscription.queue.retry_delays_s
        if attempt >= len(delays):
            await self._dead_letter(message, error)
            return
        target = self.subscription.queue.retry_queue(delays[attempt])
        try:
            await self.channel.default_exchange.publish(
                _copy(message, {ATTEMPT_HEADER: attempt + 1, LAST_ERROR_HEADER: error}), routing_key=target
            )
        except Exception as exc:  # could not park it: let the broker redeliver it later
            log.warning("event_retry_publish_failed", consumer=self.subscription.name, error=repr(exc))
            await asyncio.sleep(1)
            await message.nack(requeue=True)
            return
        await message.ack()

    async def _dead_letter(self, message: AbstractIncomingMessage, error: str) -> None:
        queue = self.subscription.queue.dead_letter_queue
        log.error("event_dead_lettered", consumer=self.subscription.name, message_id=message.message_id, error=error)
        try:
            await self.channel.default_exchange.publish(_copy(message, {LAST_ERROR_HEADER: error}), routing_key=queue)
        except Exception:
            await message.nack(requeue=True)
            return
        await message.ack()


def _first_of_each(envelopes: list[Envelope], ids: set[Any]) -> list[Envelope]:
    """The envelopes whose id is in `ids`, each id once (a duplicate within a batch is handled once)."""
    wanted, chosen = set(ids), []
    for envelope in envelopes:
        if envelope.id in wanted:
            wanted.discard(envelope.id)
            chosen.append(envelope)
    return chosen


def _copy(message: AbstractIncomingMessage, extra_headers: dict[str, Any]) -> aio_pika.Message:
    headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-death")}
    headers.update(extra_headers)
    return aio_pika.Message(
        body=message.body,
        headers=headers,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        type=message.type,
        correlation_id=message.correlation_id,
    )
