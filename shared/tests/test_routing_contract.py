"""The declared routes (opsdesk_shared.contracts.routing) are the ones the services really bind, and the
relay treats a returned event by them: a required consumer's missing queue is a failure, an event nobody
requires is sent as having no subscriber."""

import json
import uuid

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from sqlalchemy import text

from dispatch.messaging.consumers import SUBSCRIPTIONS as DISPATCH
from intake.config import IntakeSettings
from intake.messaging.consumers import subscriptions as intake_subscriptions
from notifications.config import NotificationsSettings
from notifications.messaging.consumers import subscriptions as notifications_subscriptions
from opsdesk_shared.contracts import all as _all_contracts  # noqa: F401  (registers every event type)
from opsdesk_shared.contracts.envelope import registered_types
from opsdesk_shared.contracts.routing import REQUIRED_QUEUES, required_queues, topic_matches
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.messaging.connection import confirm_channel, connect
from opsdesk_shared.messaging.relay import OutboxRelay
from opsdesk_shared.testing.plugin import RunEnvironment
from reporting.messaging.consumers import SUBSCRIPTIONS as REPORTING


def test_every_required_queue_is_declared_by_its_service_with_exactly_those_bindings() -> None:
    declared = {
        s.queue.name: set(s.queue.routing_keys)
        for s in [
            *DISPATCH,
            *intake_subscriptions(IntakeSettings()),
            *notifications_subscriptions(NotificationsSettings()),
        ]
    }
    assert declared == {queue: set(keys) for queue, keys in REQUIRED_QUEUES.items()}
    assert all(s.queue.name not in REQUIRED_QUEUES for s in REPORTING)  # reporting is optional


def test_every_bound_pattern_names_a_real_event_type() -> None:
    types = registered_types()
    for queue, patterns in REQUIRED_QUEUES.items():
        for pattern in patterns:
            assert any(topic_matches(pattern, t) for t in types), f"{queue}: {pattern} matches no event type"


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("workorder.*", "workorder.assigned", True),
        ("workorder.*", "workorder", False),
        ("workorder.*", "workorder.a.b", False),
        ("#", "anything.at.all", True),
        ("#", "", True),
        ("a.#.z", "a.z", True),
        ("a.#.z", "a.b.c.z", True),
        ("a.#.z", "a.b.c", False),
        ("sla.breached", "sla.warning", False),
    ],
)
def test_topic_matching(pattern: str, key: str, matches: bool) -> None:
    assert topic_matches(pattern, key) is matches


def test_which_event_types_must_reach_a_consumer() -> None:
    assert required_queues("ticket.created") == ["dispatch.ticket-events", "notifications.events"]
    assert required_queues("workorder.accepted") == ["intake.dispatch-events"]
    assert required_queues("sms.sent") == []  # reporting's only, which is optional
    assert required_queues("call.logged") == []


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
