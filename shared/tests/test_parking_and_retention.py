"""Dead-lettered messages parked in the database and requeued with `python -m <service> requeue-parked`;
the inbox remembers processed events longer than a restore can replay them."""

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.config import IntakeSettings
from opsdesk_shared.contracts.envelope import Envelope, Event
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.messaging.connection import connect
from opsdesk_shared.messaging.consumer import Subscription
from opsdesk_shared.messaging.retention import purge_inbox
from opsdesk_shared.messaging.topology import QueueSpec
from opsdesk_shared.settings import ServiceSettings
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish, running_worker


class Parked(Event):
    type = "test.parking"
    n: int


@pytest.fixture(scope="module")
async def sessions(migrated: RunEnvironment) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(migrated.settings(IntakeSettings))  # intake's database: it has the parked table
    yield session_factory(engine)
    await engine.dispose()


@pytest.mark.parametrize(
    ("outbox_days", "inbox_days", "accepted"),
    [(7, 14, True), (7, 8, True), (7, 7.5, False), (7, 7, False), (30, 14, False), (1, 2, True)],
)
def test_the_inbox_must_outlive_the_outbox_a_restore_replays(
    outbox_days: float, inbox_days: float, accepted: bool
) -> None:
    def build() -> ServiceSettings:
        return ServiceSettings(outbox_retention_days=outbox_days, inbox_retention_days=inbox_days)

    if accepted:
        build()
    else:
        with pytest.raises(ValidationError, match="inbox_retention_days"):
            build()


async def test_inbox_records_are_purged_after_the_retention_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    old, recent = uuid.uuid4(), uuid.uuid4()
    consumer = f"test.retention-{uuid.uuid4().hex[:6]}"
    async with sessions() as s, s.begin():
        await s.execute(
            text(
                "INSERT INTO inbox_message (consumer, message_id, processed_at) VALUES "
                "(:c, :old, now() - interval '15 days'), (:c, :recent, now() - interval '13 days')"
            ),
            {"c": consumer, "old": old, "recent": recent},
        )
    await purge_inbox(sessions, retention_days=14)
    async with sessions() as s:
        kept = (
            await s.scalars(text("SELECT message_id FROM inbox_message WHERE consumer = :c"), {"c": consumer})
        ).all()
    assert kept == [recent]


async def test_a_dead_lettered_event_is_parked_and_processed_once_requeued(
    migrated: RunEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    name = f"intake.parking-{uuid.uuid4().hex[:6]}"
    spec = QueueSpec(name, routing_keys=(Parked.type,), retry_delays_s=())  # no retries: straight to the dlq
    broken = True
    handled: list[uuid.UUID] = []

    async def handler(session: AsyncSession, envelope: Envelope) -> None:
        if broken:
            raise RuntimeError("not yet")
        handled.append(envelope.id)

    settings = migrated.settings(IntakeSettings)
    async with running_worker(settings, sessions, [Subscription(spec, handler)]):
        await eventually(lambda: _consumers(settings.amqp_url, name))  # bound and consumed: the worker is up
        [sent] = await publish(settings.amqp_url, Parked(n=1))
        await eventually(
            lambda: _scalar(sessions, "SELECT count(*) FROM parked_message WHERE queue = :q", q=name), timeout=15
        )
        async with sessions() as s:
            row = (
                await s.execute(
                    text("SELECT message_id, type, last_error FROM parked_message WHERE queue = :q"), {"q": name}
                )
            ).one()
        assert (row.message_id, row.type) == (str(sent.id), Parked.type) and "not yet" in row.last_error

        broken = False
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "intake",
            "requeue-parked",
            env={**os.environ, **migrated.env()},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, out.decode()
        assert "parked messages to requeue:" in out.decode()
        await eventually(lambda: handled, timeout=15)
        await eventually(lambda: _scalar(sessions, "SELECT count(*) = 0 FROM parked_message WHERE queue = :q", q=name))
    assert handled == [sent.id]


async def _consumers(amqp_url: str, queue: str) -> int:
    connection = await connect(amqp_url, "test-probe")
    try:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
        except aio_pika.exceptions.ChannelClosed:  # not declared yet
            return 0
        return declared.declaration_result.consumer_count or 0
    finally:
        await connection.close()


async def _scalar(sessions: async_sessionmaker[AsyncSession], sql: str, **params: object) -> object:
    async with sessions() as s:
        return await s.scalar(text(sql), params)


async def test_the_worker_purges_the_inbox_by_itself(
    migrated: RunEnvironment, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Issue 23: nobody has to run the purge; every worker does, at start and hourly, past the retention
    (which the settings hold above the outbox's replay window: see the parametrised test above)."""
    old, recent = uuid.uuid4(), uuid.uuid4()
    consumer = f"test.worker-retention-{uuid.uuid4().hex[:6]}"
    async with sessions() as s, s.begin():
        await s.execute(
            text(
                "INSERT INTO inbox_message (consumer, message_id, processed_at) VALUES "
                "(:c, :old, now() - interval '9 days'), (:c, :recent, now() - interval '7 days')"
            ),
            {"c": consumer, "old": old, "recent": recent},
        )
    settings = migrated.settings(IntakeSettings, outbox_retention_days=7, inbox_retention_days=8)
    # A worker that consumes something: one that consumes nothing keeps no inbox, so purges none.
    quiet = Subscription(QueueSpec(f"test.retention-{uuid.uuid4().hex[:6]}", routing_keys=("test.never",)), _noop)
    async with running_worker(settings, sessions, [quiet]):
        await eventually(
            lambda: _scalar(sessions, "SELECT count(*) = 1 FROM inbox_message WHERE consumer = :q", q=consumer)
        )
    assert await _scalar(sessions, "SELECT message_id FROM inbox_message WHERE consumer = :q", q=consumer) == recent


async def _noop(session: AsyncSession, envelope: Envelope) -> None:
    return None
