"""Declaring a service's queues ahead of its first start (the migrate step), so that events published
before its worker first runs are already routed to its queue and wait there."""

from collections.abc import Sequence

from opsdesk_shared.messaging.connection import connect
from opsdesk_shared.messaging.consumer import Subscription
from opsdesk_shared.messaging.topology import declare_consumer_queue, declare_events_exchange
from opsdesk_shared.settings import ServiceSettings


async def declare_subscriptions(settings: ServiceSettings, subscriptions: Sequence[Subscription]) -> None:
    connection = await connect(settings.amqp_url, f"{settings.service_name}-migrate")
    try:
        channel = await connection.channel()
        await declare_events_exchange(channel)
        for subscription in subscriptions:
            await declare_consumer_queue(channel, subscription.queue)
    finally:
        await connection.close()
