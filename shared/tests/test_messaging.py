"""The outbox, the relay and the consumer against the real PostgreSQL and RabbitMQ of this run."""

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import aio_pika
import pytest
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.config import IntakeSettings
from opsdesk_shared.contracts.envelope import Envelope, Event
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.messaging.connection import confirm_channel, connect
from opsdesk_shared.messaging.consumer import EventConsumer, Handler, Subscription
from opsdesk_shared.messaging.outbox import add_event
from opsdesk_shared.messaging.relay import OutboxRelay, message_for
from opsdesk_shared.messaging.topology import QueueSpec, declare_consumer_queue, declare_events_exchange
from opsdesk_shared.testing.plugin import RunEnvironment


class Pinged(Event):
    type = "test.pinged"
    n: int


@pytest.fixture(scope="module")
async def sessions(migrated: RunEnvironment) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    settings = migrated.settings(IntakeSettings)  # borrow intake's database: it has the outbox and inbox
    engine = create_engine(settings)
    factory = session_factory(engine)
    async with factory() as s, s.begin():
        await s.execute(text("CREATE TABLE IF NOT EXISTS test_effect (event_id uuid, n int)"))
    yield factory
    await engine.dispose()


@pytest.fixture
async def channel(migrated: RunEnvironment) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    connection = await connect(migrated.amqp_url, "tests")
    yield await confirm_channel(connection, prefetch=10)
    await connection.close()


async def _queue(channel: aio_pika.abc.AbstractChannel, key: str) -> aio_pika.abc.AbstractQueue:
    exchange = await declare_events_exchange(channel)
    queue = await channel.declare_queue(f"test.{uuid.uuid4().hex[:8]}", exclusive=True)
    await queue.bind(exchange, routing_key=key)
    return queue


async def test_committed_events_are_published_persistent_with_their_id_and_marked(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel, migrated: RunEnvironment
) -> None:
    queue = await _queue(channel, Pinged.type)
    async with sessions() as s, s.begin():
        committed = await add_event(s, Pinged(n=1), producer="test")
    with pytest.raises(RuntimeError):
        async with sessions() as s, s.begin():
            await add_event(s, Pinged(n=2), producer="test")
            raise RuntimeError("rolled back: this event must never leave")
    relay = OutboxRelay(migrated.settings(IntakeSettings).asyncpg_dsn, await declare_events_exchange(channel))
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    message = await _next_message(queue)
    await asyncio.wait_for(relay.idle.wait(), 10)  # the batch's publication recorded
    stop.set()
    await task
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.message_id == str(committed.id) and message.type == Pinged.type
    assert json.loads(message.body)["data"] == {"n": 1}
    assert await queue.get(fail=False) is None  # the rolled-back one never came
    async with sessions() as s:
        published = await s.scalar(text("SELECT published_at FROM outbox_message WHERE id = :id"), {"id": committed.id})
    assert published is not None


async def test_a_committed_event_wakes_the_idle_relay(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel, migrated: RunEnvironment
) -> None:
    """The relay polls only hourly here: the event can leave only because its commit woke the relay."""
    queue = await _queue(channel, Pinged.type)
    exchange = await declare_events_exchange(channel)
    relay = OutboxRelay(migrated.settings(IntakeSettings).asyncpg_dsn, exchange, poll_interval_s=3600)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await asyncio.wait_for(relay.listening.wait(), 10)
        await asyncio.wait_for(relay.idle.wait(), 10)  # whatever earlier tests left is out
        while await queue.get(fail=False) is not None:
            pass
        async with sessions() as s, s.begin():
            committed = await add_event(s, Pinged(n=7), producer="test")
        message = await _next_message(queue)
        assert message.message_id == str(committed.id)
    finally:
        stop.set()
        await task


async def test_an_event_the_broker_cannot_route_has_no_subscriber_and_is_not_retried(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel, migrated: RunEnvironment
) -> None:
    """Returned (mandatory, no binding) means no subscriber in this deployment, not a failure: the relay marks
    the row sent with the reason, so a deployment without reporting does not stall (relay.py)."""
    async with sessions() as s, s.begin():
        envelope = await add_event(s, Pinged(n=3), producer="test")
    unbound = await channel.declare_exchange(
        f"test.unbound.{uuid.uuid4().hex[:6]}", aio_pika.ExchangeType.TOPIC, auto_delete=True
    )
    relay = OutboxRelay(migrated.settings(IntakeSettings).asyncpg_dsn, unbound)
    await relay.open()
    try:
        assert await relay.publish_pending() >= 1
    finally:
        await relay.close()
    async with sessions() as s:
        row = (
            await s.execute(
                text("SELECT published_at, attempts, last_error FROM outbox_message WHERE id = :id"),
                {"id": envelope.id},
            )
        ).one()
    assert row.published_at is not None and row.attempts == 0 and row.last_error.startswith("unroutable")


async def _next_message(
    queue: aio_pika.abc.AbstractQueue, timeout: float = 10.0
) -> aio_pika.abc.AbstractIncomingMessage:
    for _ in range(int(timeout / 0.05)):
        message = await queue.get(fail=False)
        if message is not None:
            return message
        await asyncio.sleep(0.05)
    raise AssertionError("no message arrived")


def _subscription(handler: Handler, name: str, delays: tuple[int, ...] = (1,)) -> Subscription:
    return Subscription(QueueSpec(name, routing_keys=(f"{name}.event",), retry_delays_s=delays), handler)


async def _publish(channel: aio_pika.abc.AbstractChannel, envelope: Envelope, key: str) -> None:
    exchange = await declare_events_exchange(channel)
    await exchange.publish(message_for(envelope.model_dump(mode="json")), routing_key=key)


async def _effects(sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> int:
    async with sessions() as s:
        return int(await s.scalar(text("SELECT count(*) FROM test_effect WHERE event_id = :e"), {"e": event_id}))


async def _wait_for(predicate: Callable[[], Awaitable[bool]], timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_a_redelivered_event_has_one_effect(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel
) -> None:
    name = f"test-idem-{uuid.uuid4().hex[:6]}"

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        await session.execute(text("INSERT INTO test_effect VALUES (:e, 1)"), {"e": envelope.id})

    consumer = EventConsumer(_subscription(handler, name), sessions, channel)
    await consumer.start()
    envelope = Envelope.wrap(Pinged(n=1), producer="test", correlation_id=None)
    for _ in range(3):  # the same event id three times, as a relay crash or a lost ack would cause
        await _publish(channel, envelope, f"{name}.event")

    async def processed() -> bool:
        async with sessions() as s:
            return bool(await s.scalar(text("SELECT count(*) FROM inbox_message WHERE consumer = :c"), {"c": name}))

    await _wait_for(processed)
    await asyncio.sleep(0.5)
    await consumer.stop()
    assert await _effects(sessions, envelope.id) == 1


async def test_a_failing_handler_is_retried_through_the_wait_queue(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel
) -> None:
    name = f"test-retry-{uuid.uuid4().hex[:6]}"
    calls = 0

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        nonlocal calls
        calls += 1
        await session.execute(text("INSERT INTO test_effect VALUES (:e, :n)"), {"e": envelope.id, "n": calls})
        if calls == 1:
            raise RuntimeError("transient")  # rolls back the insert above

    consumer = EventConsumer(_subscription(handler, name), sessions, channel)
    await consumer.start()
    envelope = Envelope.wrap(Pinged(n=1), producer="test", correlation_id=None)
    await _publish(channel, envelope, f"{name}.event")

    async def one_effect() -> bool:
        return await _effects(sessions, envelope.id) == 1

    await _wait_for(one_effect)
    await consumer.stop()
    assert calls == 2


async def test_a_handler_that_keeps_failing_ends_in_the_dead_letter_queue(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel
) -> None:
    name = f"test-dlq-{uuid.uuid4().hex[:6]}"

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        raise ValueError("always broken")

    consumer = EventConsumer(_subscription(handler, name, delays=(1, 1)), sessions, channel)
    await consumer.start()
    envelope = Envelope.wrap(Pinged(n=1), producer="test", correlation_id=None)
    await _publish(channel, envelope, f"{name}.event")
    dlq = await channel.declare_queue(f"{name}.dlq", durable=True, arguments={"x-queue-type": "quorum"})
    message = await _next_message(dlq, timeout=15)
    assert message.message_id == str(envelope.id)
    assert "always broken" in str(message.headers["x-opsdesk-last-error"])
    await message.ack()
    await consumer.stop()


async def _consume_until_dead_lettered(
    sessions: async_sessionmaker[AsyncSession],
    channel: aio_pika.abc.AbstractChannel,
    subscription: Subscription,
    envelopes: list[Envelope],
    broken: uuid.UUID,
) -> Sequence[Row[Any]]:
    """Publishes the envelopes (the third twice) to the subscription's queue, consumes them in batches until the
    broken one reaches the dead-letter queue, and returns the test_effect rows their handling left."""
    name = subscription.name
    await declare_consumer_queue(channel, subscription.queue)
    for envelope in (*envelopes[:3], envelopes[2], *envelopes[3:]):
        await _publish(channel, envelope, f"{name}.event")
    consumer = EventConsumer(subscription, sessions, channel, max_batch=32)
    await consumer.start()
    dlq = await channel.declare_queue(f"{name}.dlq", durable=True, arguments={"x-queue-type": "quorum"})
    message = await _next_message(dlq, timeout=15)
    await message.ack()
    await consumer.stop()
    assert message.message_id == str(broken)
    return await _effect_rows(sessions, envelopes)


async def _effect_rows(sessions: async_sessionmaker[AsyncSession], envelopes: list[Envelope]) -> Sequence[Row[Any]]:
    """The test_effect rows the envelopes' handling left: (event_id, n), n the handling transaction's id."""
    async with sessions() as s:
        return (
            await s.execute(
                text("SELECT event_id, n FROM test_effect WHERE event_id = ANY(:ids)"),
                {"ids": [e.id for e in envelopes]},
            )
        ).all()


async def _waiting_in(migrated: RunEnvironment, queue: str) -> int:
    """How many messages wait in the queue, seen from a connection of its own (after the consumer's closed)."""
    connection = await connect(migrated.amqp_url, "tests")
    try:
        declared = await (await connection.channel()).declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await connection.close()


async def test_events_waiting_together_commit_together_and_a_bad_one_spoils_only_itself(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel
) -> None:
    """Twelve events (the third one twice) wait in the queue before the consumer starts. The first is slow,
    so the next deliveries arrive meanwhile (the prefetch is 10) and are applied in one transaction, the
    duplicate once. The last one always fails: it ends in the dead-letter queue after its retry, and its
    batch's other events are applied once each, singly."""
    name = f"test-batch-{uuid.uuid4().hex[:6]}"
    envelopes = [Envelope.wrap(Pinged(n=i), producer="test", correlation_id=None) for i in range(12)]
    first, broken = envelopes[0].id, envelopes[-1].id

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        if envelope.id == first:
            await asyncio.sleep(0.5)
        await session.execute(text("INSERT INTO test_effect VALUES (:e, txid_current()::int)"), {"e": envelope.id})
        if envelope.id == broken:
            raise ValueError("this one is broken")

    subscription = _subscription(handler, name, delays=(1,))
    rows = await _consume_until_dead_lettered(sessions, channel, subscription, envelopes, broken)
    transaction = {r.event_id: r.n for r in rows}
    assert sorted(r.event_id for r in rows) == sorted(e.id for e in envelopes[:-1])  # each once, the broken none
    # The first batch is what had arrived when the lane woke (one event or a few); the rest of the first ten
    # deliveries arrived while it slept and commit together. One transaction per event would make it nine.
    assert len({transaction[e.id] for e in envelopes[:9]}) <= 3


async def test_a_batch_is_prepared_once_in_its_own_transaction_and_again_for_each_single_event(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel, migrated: RunEnvironment
) -> None:
    """A subscription's `prepare` gets the events of its transaction not seen before, each once (the third
    event is delivered twice), before their handlers and in their transaction. The last event always fails:
    its batch rolls back, prepared rows included, and each event is then prepared again on its own."""
    name = f"test-prepare-{uuid.uuid4().hex[:6]}"
    envelopes = [Envelope.wrap(Pinged(n=i), producer="test", correlation_id=None) for i in range(8)]
    first, broken = envelopes[0].id, envelopes[-1].id
    prepared_ids: set[uuid.UUID] = set()

    async def prepare(session: AsyncSession, batch: list[Envelope]) -> None:
        await session.execute(
            text("INSERT INTO test_effect SELECT unnest(CAST(:ids AS uuid[])), -txid_current()::int"),
            {"ids": [e.id for e in batch]},
        )
        prepared_ids.update(e.id for e in batch)

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        assert envelope.id in prepared_ids  # prepared before any handler of its transaction runs
        if envelope.id == first:
            await asyncio.sleep(0.5)
        await session.execute(text("INSERT INTO test_effect VALUES (:e, txid_current()::int)"), {"e": envelope.id})
        if envelope.id == broken:
            raise ValueError("this one is broken")

    subscription = dataclasses.replace(_subscription(handler, name, delays=(1,)), prepare=prepare)
    rows = await _consume_until_dead_lettered(sessions, channel, subscription, envelopes, broken)
    handled = {r.event_id: r.n for r in rows if r.n > 0}
    prepared = [(r.event_id, -r.n) for r in rows if r.n < 0]
    # Each committed event was prepared exactly once, in the transaction that handled it; the broken one never.
    assert sorted(event_id for event_id, _ in prepared) == sorted(e.id for e in envelopes[:-1])
    assert all(handled[event_id] == transaction for event_id, transaction in prepared)
    # Every delivery was acked (a batch by one `multiple` ack): none comes back when the channel closes.
    await channel.close()
    assert await _waiting_in(migrated, name) == 0


async def test_a_committed_batch_is_acked_whole_and_not_delivered_again(
    sessions: async_sessionmaker[AsyncSession], channel: aio_pika.abc.AbstractChannel, migrated: RunEnvironment
) -> None:
    """Six events wait before the consumer starts; the first is slow, so the other five commit as one batch,
    acked with one `multiple` ack. Once all six are applied and the channel closed, none is in the queue."""
    name = f"test-acked-{uuid.uuid4().hex[:6]}"
    envelopes = [Envelope.wrap(Pinged(n=i), producer="test", correlation_id=None) for i in range(6)]

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        if envelope.id == envelopes[0].id:
            await asyncio.sleep(0.5)
        await session.execute(text("INSERT INTO test_effect VALUES (:e, txid_current()::int)"), {"e": envelope.id})

    subscription = _subscription(handler, name)
    await declare_consumer_queue(channel, subscription.queue)
    for envelope in envelopes:
        await _publish(channel, envelope, f"{name}.event")
    consumer = EventConsumer(subscription, sessions, channel, max_batch=32)
    await consumer.start()
    for _ in range(300):
        if await _effects(sessions, envelopes[-1].id):
            break
        await asyncio.sleep(0.05)
    await consumer.stop()
    await channel.close()
    rows = await _effect_rows(sessions, envelopes)
    assert sorted(r.event_id for r in rows) == sorted(e.id for e in envelopes)
    assert len({r.n for r in rows}) < len(envelopes)  # some committed together
    assert await _waiting_in(migrated, name) == 0
