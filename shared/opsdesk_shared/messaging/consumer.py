"""Consuming events: idempotent by event id, acked only after the handler's transaction commits.

A handler runs inside a transaction that also records `(consumer, message_id)` in `inbox_message`; a
redelivered event finds its row and is acked without effect. A failing handler is retried through the
queue's wait queues (`<queue>.retry.<delay>s`, our own attempt header, since quorum queues own
`x-delivery-count`), and after the last delay the message goes to `<queue>.dlq` for a human to look at.
"""

import asyncio
from collections.abc import Awaitable, Callable
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
from opsdesk_shared.observability import correlation_id

log = structlog.get_logger(__name__)

ATTEMPT_HEADER = "x-opsdesk-attempt"
Handler = Callable[[AsyncSession, Envelope], Awaitable[None]]

_CLAIM_INBOX = text(
    "INSERT INTO inbox_message (consumer, message_id) VALUES (:consumer, :message_id) "
    "ON CONFLICT DO NOTHING RETURNING 1"
)


@dataclass(frozen=True)
class Subscription:
    """A consumer: its queue (name, routing keys, retry delays) and the handler for its events."""

    queue: QueueSpec
    handler: Handler

    @property
    def name(self) -> str:
        return self.queue.name


class EventConsumer:
    def __init__(
        self,
        subscription: Subscription,
        sessions: async_sessionmaker[AsyncSession],
        channel: AbstractChannel,
    ) -> None:
        self.subscription = subscription
        self.sessions = sessions
        self.channel = channel

    async def start(self) -> AbstractQueue:
        queue = await declare_consumer_queue(self.channel, self.subscription.queue)
        await queue.consume(self.on_message, no_ack=False)
        return queue

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(message.body)
        except ValidationError as exc:
            await self._dead_letter(message, f"malformed envelope: {exc.errors()[:1]}")
            return
        token = correlation_id.set(envelope.correlation_id)
        try:
            try:
                applied = await self._handle(envelope)
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
            # Ack strictly after the commit: a crash before this line redelivers, and the inbox absorbs it.
            await message.ack()
            log.info(
                "event_consumed" if applied else "event_duplicate_ignored",
                consumer=self.subscription.name,
                event_type=envelope.type,
                event_id=str(envelope.id),
            )
        finally:
            correlation_id.reset(token)

    async def _handle(self, envelope: Envelope) -> bool:
        async with self.sessions() as session, session.begin():
            claimed = await session.execute(
                _CLAIM_INBOX, {"consumer": self.subscription.name, "message_id": envelope.id}
            )
            if claimed.first() is None:
                return False  # already processed: same effect as once
            await self.subscription.handler(session, envelope)
            return True

    async def _retry_or_dead_letter(self, message: AbstractIncomingMessage, error: str) -> None:
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0) or 0)
        delays = self.subscription.queue.retry_delays_s
        if attempt >= len(delays):
            await self._dead_letter(message, error)
            return
        target = self.subscription.queue.retry_queue(delays[attempt])
        try:
            await self.channel.default_exchange.publish(
                _copy(message, {ATTEMPT_HEADER: attempt + 1, "x-opsdesk-last-error": error}), routing_key=target
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
            await self.channel.default_exchange.publish(
                _copy(message, {"x-opsdesk-last-error": error}), routing_key=queue
            )
        except Exception:
            await message.nack(requeue=True)
            return
        await message.ack()


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
