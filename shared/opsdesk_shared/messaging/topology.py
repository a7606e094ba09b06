"""Exchanges and queues. Names: routing key = event type; queues `<consumer>.<purpose>` with
`.retry.<delay>s` and `.dlq` siblings (STYLE.md).

Delivery limits and broker-side dead-lettering of main queues come from broker policy
(deploy/rabbitmq/definitions.json), so they can change without redeclaring queues. Retry wait queues
carry their TTL as an argument: a different delay is a different queue, never a changed one.
"""

from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

EVENTS_EXCHANGE = "opsdesk.events"
RETRY_EXCHANGE = "opsdesk.retry"
DEFAULT_RETRY_DELAYS_S: tuple[int, ...] = (1, 5, 30, 120)


@dataclass(frozen=True)
class QueueSpec:
    name: str
    routing_keys: tuple[str, ...]
    retry_delays_s: tuple[int, ...] = field(default=DEFAULT_RETRY_DELAYS_S)

    def retry_queue(self, delay_s: int) -> str:
        return f"{self.name}.retry.{delay_s}s"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}.dlq"


async def declare_events_exchange(channel: AbstractChannel) -> AbstractExchange:
    return await channel.declare_exchange(EVENTS_EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_consumer_queue(channel: AbstractChannel, spec: QueueSpec) -> AbstractQueue:
    events = await declare_events_exchange(channel)
    retry = await channel.declare_exchange(RETRY_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
    queue = await channel.declare_queue(spec.name, durable=True, arguments={"x-queue-type": "quorum"})
    for key in spec.routing_keys:
        await queue.bind(events, routing_key=key)
    for delay in spec.retry_delays_s:
        wait_name = spec.retry_queue(delay)
        # Expired messages keep their routing key (the wait queue's name) and come back through
        # opsdesk.retry, where the main queue is bound under that key.
        await channel.declare_queue(
            wait_name,
            durable=True,
            arguments={"x-message-ttl": delay * 1000, "x-dead-letter-exchange": RETRY_EXCHANGE},
        )
        await queue.bind(retry, routing_key=wait_name)
    await channel.declare_queue(spec.dead_letter_queue, durable=True, arguments={"x-queue-type": "quorum"})
    return queue
