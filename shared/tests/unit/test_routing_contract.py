"""The declared routes (opsdesk_shared.contracts.routing) are the ones the services really bind, every pattern
names a real event type, and topic matching is AMQP's. The relay's use of them, against the broker, is in
shared/tests/test_routing_relay.py."""

import pytest

from dispatch.messaging.consumers import SUBSCRIPTIONS as DISPATCH
from intake.config import IntakeSettings
from intake.messaging.consumers import subscriptions as intake_subscriptions
from notifications.config import NotificationsSettings
from notifications.messaging.consumers import subscriptions as notifications_subscriptions
from opsdesk_shared.contracts import all as _all_contracts  # noqa: F401  (registers every event type)
from opsdesk_shared.contracts.envelope import registered_types
from opsdesk_shared.contracts.routing import REQUIRED_QUEUES, required_queues, topic_matches
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
