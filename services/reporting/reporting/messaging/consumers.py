"""Reporting hears every event: it keeps them all and folds them into its read model.

Its queue binds `#`, which also guarantees every published event has at least one route, so the
relays' mandatory publishing never bounces an event nobody else consumes yet.
"""

from opsdesk_shared.messaging.consumer import Subscription
from opsdesk_shared.messaging.topology import QueueSpec
from reporting.projections import finish, on_event, prepare

# Nearly every event updates the same rows (today's counters, the month's rollups): replicas' batches
# would lock them in opposite orders, so they take turns (consumer.py, `serial_batches`).
SUBSCRIPTIONS = [
    Subscription(
        QueueSpec("reporting.all-events", routing_keys=("#",)),
        on_event,
        serial_batches=True,
        finish=finish,
        prepare=prepare,
    )
]
