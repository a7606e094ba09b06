"""Broker connections: robust (reconnecting) connections and confirm-mode channels."""

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractRobustConnection


async def connect(amqp_url: str, name: str) -> AbstractRobustConnection:
    return await aio_pika.connect_robust(amqp_url, client_properties={"connection_name": name}, timeout=10)


async def confirm_channel(connection: AbstractRobustConnection, prefetch: int = 0) -> AbstractChannel:
    """A channel whose publishes wait for the broker's confirm and raise on an unroutable message."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    if prefetch:
        await channel.set_qos(prefetch_count=prefetch)
    return channel
