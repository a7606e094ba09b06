"""What must be routable: the consumer queues every OpsDesk deployment has, and the event types bound to
each (issue 23).

The relay publishes `mandatory`. When the broker returns an event (no queue bound for its type), this table
decides what that means:

- an event type bound here has a consumer OpsDesk cannot run without (intake, dispatch, notifications): its
  queue is missing (a broker rebuilt before the workers re-declared, a migrate step skipped), so the row is
  a failure, retried with its own back-off and parked (alerted, republishable) if the queue never comes;
- any other type has no required subscriber (reporting's `reporting.all-events`, bound to `#`, is optional):
  the row is marked sent as having no subscriber in this deployment, so a deployment without reporting
  does not stall.

Kept by hand beside the services' subscriptions; `shared/tests/unit/test_routing_contract.py` checks that every
required queue below is declared by its service with exactly these bindings, and that every bound pattern
matches a registered event type.
"""

from collections.abc import Iterable

REQUIRED_QUEUES: dict[str, tuple[str, ...]] = {
    "dispatch.ticket-events": ("ticket.created", "ticket.status_changed", "ticket.updated"),
    "dispatch.directory-events": ("user.created", "user.updated", "unit.created", "unit.updated"),
    "intake.dispatch-events": ("workorder.*", "sla.warning", "sla.breached"),
    "intake.directory-events": ("unit.created", "unit.updated", "user.created", "user.updated"),
    "intake.sms-replies": ("sms.reply_received",),
    "intake.asset-events": (
        "asset.registered",
        "asset.updated",
        "asset.status_changed",
        "inspection.finding_raised",
        "monitoring.alert_firing",
        "monitoring.alert_resolved",
    ),
    "intake.visit-risks": ("visit.risk_raised",),
    "notifications.events": (
        "ticket.created",
        "ticket.status_changed",
        "ticket.resolved",
        "ticket.closed",
        "ticket.reopened",
        "ticket.cancelled",
        "ticket.commented",
        "workorder.assigned",
        "workorder.reassigned",
        "sla.warning",
        "sla.breached",
        "spares.stock_low",
    ),
}


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: words split on `.`, `*` is exactly one word, `#` zero or more."""

    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] == "*" or p[0] == k[0]) and match(p[1:], k[1:])

    return match(pattern.split("."), routing_key.split("."))


def required_queues(event_type: str, table: dict[str, tuple[str, ...]] = REQUIRED_QUEUES) -> list[str]:
    """The required consumer queues bound for this event type (empty: nobody is required to receive it)."""
    return [queue for queue, patterns in table.items() if _any_match(patterns, event_type)]


def _any_match(patterns: Iterable[str], event_type: str) -> bool:
    return any(topic_matches(p, event_type) for p in patterns)
