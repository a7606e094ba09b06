"""The relay treats a returned event by the declared routes (opsdesk_shared.contracts.routing): a required
consumer's missing queue is a failure, an event nobody requires is sent as having no subscriber. The routes
themselves are checked in shared/tests/unit/test_routing_contract.py."""

import json
import uuid

import aio_pika
from aio_pika.abc import AbstractChannel
from sqlalchemy import text

from intake.config import IntakeSettings
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.messaging.connection import confirm_channel, connect
from opsdesk_shared.messaging.relay import OutboxRelay
from opsdesk_shared.testing.plugin import RunEnvironment


async def test_a_required_consumer_queue_missing_is_a_failure_not_a_silent_send(migrated: RunEnvironment) -> None:
    """An exchange of the test's own with no queue bound: a broker rebuilt before dispatch re-declared its
    queue. `user.updated` must reach dispatch and intake, so it is charged and retried; `sms.sent` has
    no required subscriber and is marked sent."""
    settings = migrated.settings(IntakeSettings)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    required, optional = uuid.uuid4(), uuid.uuid4()
    async with sessions() as s, s.begin():
        for event_id, event_type in ((required, "user.updated"), (optional, "sms.sent")):
            await s.execute(
                text("INSERT INTO outbox_message (id, type, envelope) VALUES (:id, :type, CAST(:env AS jsonb))"),
                {"id": event_id, "type": event_type, "env": json.dumps({"id": str(event_id), "type": event_type})},
            )
    connection = await connect(migrated.amqp_url, "tests")
    channel: AbstractChannel = await confirm_channel(connection)
    exchange = await channel.declare_exchange(
        f"test.events.{uuid.uuid4().hex[:6]}", aio_pika.ExchangeType.TOPIC, auto_delete=True
    )
    relay = OutboxRelay(settings.asyncpg_dsn, exchange, max_attempts=5)
    await relay.open()
    try:
        await relay.publish_pending()
    finally:
        await relay.close()
        await connection.close()
    async with sessions() as s, s.begin():
        rows = {
            r.id: r
            for r in await s.execute(
                text("SELECT id, published_at, attempts, last_error FROM outbox_message WHERE id IN (:a, :b)"),
                {"a": required, "b": optional},
            )
        }
        # Nothing left for other tests' relays.
        await s.execute(text("UPDATE outbox_message SET published_at = now() WHERE id = :id"), {"id": required})
    await engine.dispose()
    assert rows[required].published_at is None and rows[required].attempts == 1
    assert "dispatch.directory-events" in rows[required].last_error
    assert rows[optional].published_at is not None and rows[optional].last_error.startswith("unroutable")
