"""Running a service's worker inside a test, and publishing events the way a producer's relay does."""

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opsdesk_shared.contracts.envelope import Envelope, Event
from opsdesk_shared.messaging.connection import confirm_channel, connect
from opsdesk_shared.messaging.consumer import Subscription
from opsdesk_shared.messaging.relay import message_for
from opsdesk_shared.messaging.topology import declare_events_exchange
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.worker import BackgroundTask, run_worker


async def purge_queues(amqp_url: str, queue_names: Sequence[str]) -> None:
    """Empties queues that exist (others are left alone): a test run shares one vhost, and a service's
    queues fill up with every other test's events until its own tests start."""
    connection = await connect(amqp_url, "test-purge")
    try:
        for name in queue_names:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(name, passive=True)
                await queue.purge()
            except Exception:  # noqa: BLE001 (not declared yet: nothing to purge)
                pass
            finally:
                if not channel.is_closed:
                    await channel.close()
    finally:
        await connection.close()


@asynccontextmanager
async def running_worker(
    settings: ServiceSettings,
    sessions: async_sessionmaker[AsyncSession],
    subscriptions: Sequence[Subscription],
    tasks: Sequence[BackgroundTask] = (),
) -> AsyncIterator[None]:
    """The service's worker in this process, starting from empty queues (see `purge_queues`)."""
    await purge_queues(settings.amqp_url, [s.name for s in subscriptions])
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(settings, sessions, subscriptions, tasks=tasks, stop=stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=30)


async def publish(amqp_url: str, *items: Envelope | Event, producer: str = "test") -> list[Envelope]:
    """Publish events (or exact envelopes, to replay one) with confirms; returns the envelopes sent."""
    connection = await connect(amqp_url, "test-publisher")
    sent = []
    try:
        exchange = await declare_events_exchange(await confirm_channel(connection))
        for item in items:
            envelope = (
                item if isinstance(item, Envelope) else Envelope.wrap(item, producer=producer, correlation_id=None)
            )
            await exchange.publish(message_for(envelope.model_dump(mode="json")), routing_key=envelope.type)
            sent.append(envelope)
    finally:
        await connection.close()
    return sent


async def eventually(probe: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Call `probe()` (awaiting it if it is a coroutine) until it returns something truthy; fail after
    `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = probe()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


class EventTap:
    """Listens on `opsdesk.events` like a consumer would, keeping every envelope it sees.

    A test's own exclusive queue: it observes what a service published without touching its state.
    """

    def __init__(self, amqp_url: str, *routing_keys: str) -> None:
        self.amqp_url = amqp_url
        self.routing_keys = routing_keys or ("#",)
        self.received: list[Envelope] = []
        self._connection: AbstractRobustConnection | None = None

    async def __aenter__(self) -> "EventTap":
        import uuid

        self._connection = await connect(self.amqp_url, "test-tap")
        channel = await self._connection.channel()
        exchange = await declare_events_exchange(channel)
        queue = await channel.declare_queue(f"test.tap.{uuid.uuid4().hex[:8]}", exclusive=True)
        for key in self.routing_keys:
            await queue.bind(exchange, routing_key=key)

        async def on_message(message: AbstractIncomingMessage) -> None:
            self.received.append(Envelope.model_validate_json(message.body))
            await message.ack()

        await queue.consume(on_message)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._connection is not None:
            await self._connection.close()

    def of(self, event_type: str, **data_matches: object) -> list[Envelope]:
        return [
            e
            for e in self.received
            if e.type == event_type and all(str(e.data.get(k)) == str(v) for k, v in data_matches.items())
        ]
