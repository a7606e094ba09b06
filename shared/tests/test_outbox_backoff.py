"""One bad outbox row must not hold a service (issue 23): per-row back-off, parking after N failures with a
metric, `python -m <service> outbox republish`, and unroutable events treated as having no subscriber.
Against this run's real PostgreSQL and RabbitMQ: the poisoned row is refused by the broker itself (a queue
that rejects every publish), not by a stand-in."""

import asyncio
import json
import os
import socket
import sys
import urllib.request
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractQueue, FieldValue
from prometheus_client import REGISTRY
from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.config import IntakeSettings
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.messaging.connection import confirm_channel, connect
from opsdesk_shared.messaging.outbox import add_event, add_events
from opsdesk_shared.messaging.relay import OutboxRelay, republish_parked
from opsdesk_shared.messaging.topology import declare_events_exchange
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, running_worker


class Flowing(Event):
    type = "test.flowing"
    n: int


class Poisoned(Event):
    type = "test.poisoned"
    n: int


class Nobody(Event):
    type = "test.nobody-listens"
    n: int


@pytest.fixture(scope="module")
async def sessions(migrated: RunEnvironment) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated.settings(IntakeSettings))  # intake's database: it has an outbox
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def channel(migrated: RunEnvironment) -> AsyncIterator[AbstractChannel]:
    connection = await connect(migrated.amqp_url, "tests")
    yield await confirm_channel(connection)
    await connection.close()


def _dsn(env: RunEnvironment) -> str:
    return str(env.settings(IntakeSettings).asyncpg_dsn)


async def _bound_queue(channel: AbstractChannel, key: str, **arguments: FieldValue) -> AbstractQueue:
    exchange = await declare_events_exchange(channel)
    queue = await channel.declare_queue(f"test.{uuid.uuid4().hex[:8]}", exclusive=True, arguments=arguments or None)
    await queue.bind(exchange, routing_key=key)
    return queue


async def _drain(queue: AbstractQueue, want: int, timeout: float = 15) -> list[aio_pika.abc.AbstractIncomingMessage]:
    got: list[aio_pika.abc.AbstractIncomingMessage] = []

    async def more() -> bool:
        while (message := await queue.get(fail=False)) is not None:
            got.append(message)
        return len(got) >= want

    await eventually(more, timeout=timeout)
    return got


async def _row(sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> Row[Any]:
    async with sessions() as s:
        return (
            await s.execute(
                text(
                    "SELECT published_at, parked_at, next_attempt_at, attempts, last_error "
                    "FROM outbox_message WHERE id = :id"
                ),
                {"id": event_id},
            )
        ).one()


async def test_a_poisoned_row_is_parked_while_the_others_flow_and_republished_after_a_fix(
    sessions: async_sessionmaker[AsyncSession], channel: AbstractChannel, migrated: RunEnvironment
) -> None:
    flowing = await _bound_queue(channel, Flowing.type)
    # The broker refuses (basic.nack) every message for this type: a queue that takes nothing.
    refuse_all: dict[str, FieldValue] = {"x-max-length": 0, "x-overflow": "reject-publish"}
    refusing = await _bound_queue(channel, Poisoned.type, **refuse_all)
    async with sessions() as s, s.begin():
        poisoned = await add_event(s, Poisoned(n=0), producer="test")  # the oldest row: first in every claim
    service = f"test-{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(
        _dsn(migrated),
        await declare_events_exchange(channel),
        service=service,
        max_attempts=3,
        retry_base_s=0.2,
        retry_max_s=5,
        poll_interval_s=0.05,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: _row_attempted(sessions, poisoned.id))
        # Events written while the poisoned row backs off leave at once, in as many batches as they come.
        for n in range(1, 4):
            async with sessions() as s, s.begin():
                await add_events(s, [Flowing(n=n * 100 + i) for i in range(20)], producer="test")
            await _drain(flowing, 20)

        await eventually(lambda: _parked(sessions, poisoned.id))
        row = await _row(sessions, poisoned.id)
        assert row.published_at is None and row.attempts == 3
        assert "refused by the broker" in row.last_error
        # The row waited on its own (0.2 s, then 0.4 s, before parking); the relay as a whole never backed off.
        assert relay.stalls == 0
        await eventually(lambda: _gauge(service) >= 1)

        # Parked is parked: more traffic, and the row is never tried again.
        async with sessions() as s, s.begin():
            await add_event(s, Flowing(n=999), producer="test")
        await _drain(flowing, 1)
        assert (await _row(sessions, poisoned.id)).attempts == 3

        # The fix: the refusing queue goes, a working consumer queue is bound; then republish that row.
        await refusing.delete(if_unused=False, if_empty=False)
        fixed = await _bound_queue(channel, Poisoned.type)
        assert await republish_parked(_dsn(migrated), [poisoned.id]) == [poisoned.id]
        [message] = await _drain(fixed, 1)
        assert message.message_id == str(poisoned.id)

        async def recorded_as_published() -> Any:
            row = await _row(sessions, poisoned.id)
            return row if row.published_at is not None else None

        # The broker can hand the message on before the relay's transaction that records it commits.
        row = await eventually(recorded_as_published)
        assert row.parked_at is None
        await relay.refresh_parked_gauge()
        assert _gauge(service) == 0
    finally:
        stop.set()
        await task


async def test_outbox_republish_command_by_id_and_all(
    sessions: async_sessionmaker[AsyncSession], migrated: RunEnvironment
) -> None:
    async with sessions() as s, s.begin():
        envelopes = [await add_event(s, Poisoned(n=n), producer="test") for n in range(3)]
        await s.execute(
            text("UPDATE outbox_message SET parked_at = now(), attempts = 10 WHERE id = ANY(:ids)"),
            {"ids": [e.id for e in envelopes]},
        )
    first, *rest = (e.id for e in envelopes)

    out = await _cli(migrated, "outbox", "republish", "--id", str(first))
    assert json.loads(out) == {"republished": [str(first)]}
    row = await _row(sessions, first)
    assert row.parked_at is None and row.attempts == 0
    assert (await _row(sessions, rest[0])).parked_at is not None  # only the one asked for

    out = await _cli(migrated, "outbox", "republish", "--all")
    assert set(rest) <= {uuid.UUID(i) for i in json.loads(out)["republished"]}
    unknown = uuid.uuid4()
    out = await _cli(migrated, "outbox", "republish", "--id", str(unknown), expect_rc=1)
    assert f"not parked (unknown, published or already republished): {unknown}" in out
    async with sessions() as s, s.begin():  # leave nothing for the other tests' relays to chew on
        await s.execute(text("UPDATE outbox_message SET published_at = now() WHERE published_at IS NULL"))


async def test_an_event_nobody_subscribes_to_is_marked_sent_and_counted_not_retried(
    sessions: async_sessionmaker[AsyncSession], channel: AbstractChannel, migrated: RunEnvironment
) -> None:
    """A deployment without reporting: events only reporting's `#` used to catch come back from the
    broker. They have no subscriber here; the relay must not stall on them. (This run's opsdesk.events
    has reporting's binding, so the deployment without it is an events exchange of the test's own.)"""
    exchange = await channel.declare_exchange(
        f"test.events.{uuid.uuid4().hex[:6]}", aio_pika.ExchangeType.TOPIC, auto_delete=True
    )
    flowing = await channel.declare_queue(exclusive=True)
    await flowing.bind(exchange, routing_key=Flowing.type)
    async with sessions() as s, s.begin():
        lonely = await add_event(s, Nobody(n=1), producer="test")
        behind = await add_event(s, Flowing(n=1), producer="test")
    service = f"test-{uuid.uuid4().hex[:6]}"
    relay = OutboxRelay(_dsn(migrated), exchange, service=service)
    await relay.open()
    try:
        await relay.publish_pending()  # raises nothing: a returned message is not a failure
    finally:
        await relay.close()
    [message] = await _drain(flowing, 1)
    assert message.message_id == str(behind.id)
    row = await _row(sessions, lonely.id)
    assert row.published_at is not None and row.attempts == 0 and row.parked_at is None
    assert row.last_error.startswith("unroutable: no queue bound for 'test.nobody-listens'")
    assert REGISTRY.get_sample_value("opsdesk_outbox_unroutable_total", {"service": service, "type": Nobody.type}) == 1

    # A consumer for it comes later (say reporting deployed after the fact): the kept events go again.
    late = await channel.declare_queue(exclusive=True)
    await late.bind(exchange, routing_key=Nobody.type)
    out = await _cli(migrated, "outbox", "republish", "--unroutable")
    assert str(lonely.id) in json.loads(out)["republished"]
    await relay.open()
    try:
        await relay.publish_pending()
    finally:
        await relay.close()
    [message] = await _drain(late, 1)
    assert message.message_id == str(lonely.id)
    row = await _row(sessions, lonely.id)
    assert row.published_at is not None and row.last_error is None


async def test_a_lost_channel_charges_no_row(
    sessions: async_sessionmaker[AsyncSession], migrated: RunEnvironment
) -> None:
    """Broker trouble is nobody's row's fault: a long outage must park nothing."""
    connection = await connect(migrated.amqp_url, "tests")
    channel = await confirm_channel(connection)
    exchange = await declare_events_exchange(channel)
    await channel.close()
    async with sessions() as s, s.begin():
        envelope = await add_event(s, Flowing(n=1), producer="test")
    relay = OutboxRelay(_dsn(migrated), exchange, max_attempts=1)
    await relay.open()
    try:
        with pytest.raises(RuntimeError, match="not confirmed"):
            await relay.publish_pending()
    finally:
        await relay.close()
        await connection.close()
    row = await _row(sessions, envelope.id)
    assert row.published_at is None and row.parked_at is None and row.attempts == 0
    async with sessions() as s, s.begin():
        await s.execute(text("UPDATE outbox_message SET published_at = now() WHERE id = :id"), {"id": envelope.id})


async def _row_attempted(sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> bool:
    return bool((await _row(sessions, event_id)).attempts >= 1)


async def _parked(sessions: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> bool:
    return (await _row(sessions, event_id)).parked_at is not None


def _gauge(service: str) -> float:
    return REGISTRY.get_sample_value("opsdesk_outbox_parked_rows", {"service": service}) or 0.0


async def _cli(env: RunEnvironment, *args: str, expect_rc: int = 0) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "intake",
        *args,
        env={**os.environ, **env.env()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == expect_rc, out.decode()
    return out.decode()


async def test_a_row_that_is_not_an_envelope_is_parked_not_the_relay_stopped(
    sessions: async_sessionmaker[AsyncSession], channel: AbstractChannel, migrated: RunEnvironment
) -> None:
    broken = uuid.uuid4()
    async with sessions() as s, s.begin():
        await s.execute(
            text("INSERT INTO outbox_message (id, type, envelope) VALUES (:id, 'test.flowing', '[1, 2]'::jsonb)"),
            {"id": broken},
        )
        behind = await add_event(s, Flowing(n=1), producer="test")
    flowing = await _bound_queue(channel, Flowing.type)
    relay = OutboxRelay(_dsn(migrated), await declare_events_exchange(channel), max_attempts=1)
    await relay.open()
    try:
        await relay.publish_pending()
    finally:
        await relay.close()
    [message] = await _drain(flowing, 1)
    assert message.message_id == str(behind.id)
    row = await _row(sessions, broken)
    assert row.parked_at is not None and row.attempts == 1 and "not a publishable envelope" in row.last_error
    async with sessions() as s, s.begin():
        await s.execute(text("UPDATE outbox_message SET published_at = now() WHERE id = :id"), {"id": broken})


async def test_the_worker_serves_the_parked_rows_gauge_on_its_metrics_port(
    sessions: async_sessionmaker[AsyncSession], migrated: RunEnvironment
) -> None:
    port = _free_port()
    settings = migrated.settings(IntakeSettings, worker_metrics_port=port)
    async with running_worker(settings, sessions, []):
        # The gauge is one per process: earlier tests' relays set it for their own services already. This
        # worker's line appears once its relay has counted the parked rows, a moment after the port answers.
        body = await eventually(lambda: _metrics(port, 'opsdesk_outbox_parked_rows{service="intake"}'), timeout=15)
    assert 'opsdesk_outbox_parked_rows{service="intake"}' in body
    with pytest.raises(OSError):  # stopped with the worker
        await asyncio.to_thread(urllib.request.urlopen, f"http://127.0.0.1:{port}/metrics", timeout=2)


async def _metrics(port: int, line: str) -> str | None:
    """The worker's metrics page once it shows `line`."""
    try:
        with await asyncio.to_thread(urllib.request.urlopen, f"http://127.0.0.1:{port}/metrics", timeout=2) as answer:
            body = answer.read().decode()
    except OSError:
        return None
    return body if line in body else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
