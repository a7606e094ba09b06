"""A service's worker process: its event consumers, its outbox relay and any timers, until signalled.

Beside them: a parker per consumer that moves its dead-lettered messages into the database, the task that
requeues parked messages on request (messaging/parking.py), and the inbox's retention purge
(messaging/retention.py).

Kept apart from the API process so each can scale on its own (STYLE.md, Processes).
"""

import asyncio
import signal
from collections.abc import Callable, Coroutine, Sequence
from typing import Any
from wsgiref.simple_server import WSGIServer

import prometheus_client
import structlog
from aio_pika.abc import AbstractExchange
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opsdesk_shared.messaging.connection import confirm_channel, connect
from opsdesk_shared.messaging.consumer import EventConsumer, Subscription
from opsdesk_shared.messaging.parking import DeadLetterParker, ParkedRequeuer
from opsdesk_shared.messaging.relay import OutboxRelay
from opsdesk_shared.messaging.retention import InboxRetention
from opsdesk_shared.messaging.topology import declare_events_exchange
from opsdesk_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def run_worker(
    settings: ServiceSettings,
    sessions: async_sessionmaker[AsyncSession],
    subscriptions: Sequence[Subscription],
    *,
    tasks: Sequence[BackgroundTask] = (),
    prefetch: int = 32,
    stop: asyncio.Event | None = None,
) -> None:
    stop = stop or _stop_on_signals()
    connection = await connect(settings.amqp_url, f"{settings.service_name}-worker")
    metrics_server: WSGIServer | None = None
    try:
        publish_channel = await confirm_channel(connection)
        exchange = await declare_events_exchange(publish_channel)
        relay = relay_for(settings, exchange)
        if settings.worker_metrics_port:  # Prometheus: the relay's parked rows and the process's own figures
            metrics_server, _ = prometheus_client.start_http_server(settings.worker_metrics_port)
        consumers = []
        for subscription in subscriptions:
            # One channel per consumer so one consumer's prefetch cannot starve another.
            channel = await confirm_channel(connection, prefetch=prefetch)
            consumers.append(EventConsumer(subscription, sessions, channel, max_batch=prefetch))
            await consumers[-1].start()
            await DeadLetterParker(subscription, sessions, await confirm_channel(connection, prefetch=10)).start()
        log.info("worker_started", consumers=[s.name for s in subscriptions])
        housekeeping: list[BackgroundTask] = []
        if subscriptions:  # a process that consumes nothing (the gateway's worker) has no inbox to keep
            housekeeping.append(InboxRetention(sessions, settings.inbox_retention_days))
            housekeeping.append(
                ParkedRequeuer(sessions, publish_channel.default_exchange, [s.name for s in subscriptions])
            )
        running = [asyncio.create_task(relay.run(stop), name="outbox-relay")]
        running += [
            asyncio.create_task(task(stop), name=getattr(task, "__name__", "task")) for task in [*tasks, *housekeeping]
        ]
        await stop.wait()
        await asyncio.gather(*(consumer.stop() for consumer in consumers), return_exceptions=True)
        await asyncio.gather(*running, return_exceptions=True)
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
            metrics_server.server_close()
        await connection.close()
        log.info("worker_stopped")


def relay_for(settings: ServiceSettings, exchange: AbstractExchange) -> OutboxRelay:
    return OutboxRelay(
        settings.asyncpg_dsn,
        exchange,
        retention_days=settings.outbox_retention_days,
        service=settings.service_name,
        max_attempts=settings.outbox_max_attempts,
        retry_base_s=settings.outbox_retry_base_s,
        retry_max_s=settings.outbox_retry_max_s,
    )


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_relay_only(settings: ServiceSettings, stop: asyncio.Event) -> None:
    """The outbox relay alone, for a process with no consumers (the gateway). Waits for the broker."""
    delay = 1.0
    while not stop.is_set():
        try:
            connection = await connect(settings.amqp_url, f"{settings.service_name}-relay")
            break
        except Exception as exc:  # broker not up yet: the outbox keeps the events meanwhile
            log.warning("relay_broker_unreachable", error=repr(exc)[:200], retry_in_s=delay)
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                pass
            delay = min(delay * 2, 30)
    else:
        return
    try:
        exchange = await declare_events_exchange(await confirm_channel(connection))
        await relay_for(settings, exchange).run(stop)
    finally:
        await connection.close()
