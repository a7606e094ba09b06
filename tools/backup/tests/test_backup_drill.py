"""The restore drill: nothing that was in flight in the broker when the dump ran is lost, nothing is doubled.

At dump time one event has been processed (A), one waits in its consumer's queue (B: the consumer has been
down for hours), one waits in a retry queue (R: its handler failed) and one has been dead-lettered (D). The
broker is then lost with all its queues, the dump is restored into empty databases, the fault is fixed
and the worker started: every event is processed exactly once.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.config import IntakeSettings
from opsdesk_shared.contracts.envelope import Envelope, Event
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.messaging.connection import confirm_channel, connect
from opsdesk_shared.messaging.consumer import ATTEMPT_HEADER, Subscription
from opsdesk_shared.messaging.outbox import add_event
from opsdesk_shared.messaging.relay import OutboxRelay, message_for
from opsdesk_shared.messaging.topology import QueueSpec, declare_events_exchange
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, running_worker

from .conftest import cli, drop_every_database, migrate_every_service

RETRY_DELAY_S = 3600  # long enough that R is still waiting when the dump runs
SPEC = QueueSpec("intake.backup-drill", routing_keys=("drill.happened",), retry_delays_s=(RETRY_DELAY_S,))


class Happened(Event):
    type = "drill.happened"
    name: str


class Drill:
    """The consumer under test: records each event it handles in `drill_effect`; fails while told to."""

    def __init__(self) -> None:
        self.failing: set[str] = set()

    async def handle(self, session: AsyncSession, envelope: Envelope) -> None:
        if envelope.data["name"] in self.failing:
            raise RuntimeError(f"the drill's fault for {envelope.data['name']}")
        await session.execute(
            text("INSERT INTO drill_effect (event_id, name) VALUES (:id, :name)"),
            {"id": envelope.id, "name": envelope.data["name"]},
        )

    def subscription(self) -> Subscription:
        return Subscription(SPEC, self.handle)


@asynccontextmanager
async def service(env: RunEnvironment, prefix: str) -> AsyncIterator[tuple[IntakeSettings, async_sessionmaker]]:
    settings = env.settings(IntakeSettings, database_prefix=prefix)
    engine = create_engine(settings)
    try:
        yield settings, session_factory(engine)
    finally:
        await engine.dispose()


async def scalar(sessions: async_sessionmaker, sql: str, **params: object) -> object:
    async with sessions() as session:
        return await session.scalar(text(sql), params)


async def waiting(amqp_url: str, queue: str) -> int:
    """Messages ready in a queue (what a stopped consumer left, or what waits out a retry delay)."""
    connection = await connect(amqp_url, "drill-probe")
    try:
        declared = await (await connection.channel()).declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0
    finally:
        await connection.close()


async def lose_the_broker(amqp_url: str) -> None:
    connection = await connect(amqp_url, "drill-disaster")
    try:
        channel = await connection.channel()
        for queue in (SPEC.name, SPEC.retry_queue(RETRY_DELAY_S), SPEC.dead_letter_queue):
            await channel.queue_delete(queue)
    finally:
        await connection.close()


async def test_events_queued_retrying_or_dead_lettered_at_dump_time_are_processed_once_after_restore(
    migrated: RunEnvironment, tmp_path: Path
) -> None:
    source, copy = f"{migrated.database_prefix}_drsrc", f"{migrated.database_prefix}_drcopy"
    drill = Drill()
    try:
        await migrate_every_service(migrated, source)
        async with service(migrated, source) as (settings, sessions):
            async with sessions() as session, session.begin():
                await session.execute(text("CREATE TABLE drill_effect (event_id uuid NOT NULL, name text NOT NULL)"))

            async with running_worker(settings, sessions, [drill.subscription()]):
                async with sessions() as session, session.begin():
                    a = await add_event(session, Happened(name="A"), producer="intake")
                await eventually(lambda: scalar(sessions, "SELECT count(*) FROM drill_effect WHERE name = 'A'"))

                drill.failing = {"R", "D"}
                async with sessions() as session, session.begin():
                    r = await add_event(session, Happened(name="R"), producer="intake")
                await eventually(lambda: waiting(settings.amqp_url, SPEC.retry_queue(RETRY_DELAY_S)))
                # D comes back from its last retry and fails again: dead-lettered. It is in no outbox of
                # the dump (its producer purged the row long ago); only the parked copy can bring it back.
                d = Envelope.wrap(Happened(name="D"), producer="dispatch", correlation_id=None)
                connection = await connect(settings.amqp_url, "drill-retry")
                try:
                    message = message_for(d.model_dump(mode="json"))
                    message.headers[ATTEMPT_HEADER] = len(SPEC.retry_delays_s)
                    channel = await confirm_channel(connection)
                    await channel.default_exchange.publish(message, routing_key=SPEC.name, mandatory=True)
                finally:
                    await connection.close()
                await eventually(lambda: scalar(sessions, "SELECT count(*) FROM parked_message"))

            # The consumer is down: B is published and waits in its queue.
            async with sessions() as session, session.begin():
                b = await add_event(session, Happened(name="B"), producer="intake")
            connection = await connect(settings.amqp_url, "drill-relay")
            try:
                relay = OutboxRelay(
                    settings.asyncpg_dsn, await declare_events_exchange(await confirm_channel(connection))
                )
                await relay.open()
                try:
                    assert await relay.publish_pending() == 1
                finally:
                    await relay.close()
            finally:
                await connection.close()
            # ... and has been for hours, as R has been retrying; A was processed two days ago.
            async with sessions() as session, session.begin():
                for event, age in ((b, "3 hours"), (r, "3 hours"), (a, "2 days")):
                    await session.execute(
                        text(
                            f"UPDATE outbox_message SET created_at = created_at - interval '{age}', "
                            f"published_at = published_at - interval '{age}' WHERE id = :id"
                        ),
                        {"id": event.id},
                    )
                await session.execute(
                    text(
                        "UPDATE inbox_message SET processed_at = processed_at - interval '2 days' "
                        "WHERE message_id = :id"
                    ),
                    {"id": a.id},
                )

            assert await waiting(settings.amqp_url, SPEC.name) == 1  # B
            assert await waiting(settings.amqp_url, SPEC.retry_queue(RETRY_DELAY_S)) == 1  # R
            assert await waiting(settings.amqp_url, SPEC.dead_letter_queue) == 0  # D, parked
            assert await scalar(sessions, "SELECT count(*) FROM outbox_message WHERE published_at IS NULL") == 0

        code, out = await cli(migrated, source, "dump", "--to", str(tmp_path / "dump"))
        assert code == 0, out
        await lose_the_broker(migrated.amqp_url)

        code, out = await cli(migrated, copy, "restore", "--from", str(tmp_path / "dump"))
        assert code == 0, out

        drill.failing = set()  # the fault is fixed
        async with service(migrated, copy) as (settings, sessions):
            async with running_worker(settings, sessions, [drill.subscription()]):
                await eventually(
                    lambda: scalar(
                        sessions,
                        "SELECT (SELECT count(DISTINCT name) FROM drill_effect) = 4 "
                        "AND NOT EXISTS (SELECT 1 FROM outbox_message WHERE published_at IS NULL) "
                        "AND NOT EXISTS (SELECT 1 FROM parked_message)",
                    ),
                    timeout=30,
                )
            # The worker has stopped; whatever it had been handed and not acked is back in the queue.
            assert await waiting(settings.amqp_url, SPEC.name) == 0
            assert await waiting(settings.amqp_url, SPEC.retry_queue(RETRY_DELAY_S)) == 0
            async with sessions() as session:
                effects = (await session.execute(text("SELECT event_id, name FROM drill_effect ORDER BY name"))).all()
        assert [(row.event_id, row.name) for row in effects] == [
            (a.id, "A"),
            (b.id, "B"),
            (d.id, "D"),
            (r.id, "R"),
        ]
    finally:
        await lose_the_broker(migrated.amqp_url)
        await drop_every_database(migrated, source, copy)
