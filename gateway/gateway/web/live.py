"""Live updates for the web UI: the gateway listens to the domain events and nudges open pages.

Each gateway process binds a server-named, exclusive, auto-deleted queue to `opsdesk.events` and fans the
events out to the server-sent-event streams of its own browsers. These are nudges, not business data:
the page then re-reads what changed through the API (which enforces scoping), so a nudge lost while the
broker is away costs only a later refresh, and the durable-queue machinery of the services is not needed
here. A page that reconnects re-reads everything. A nudge still names its ticket, so each carries the
ticket's unit and is sent only to those who may read it (`live_scope.py`)."""

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import structlog
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from gateway.web.live_scope import TicketUnits
from opsdesk_shared.messaging.connection import connect
from opsdesk_shared.messaging.topology import declare_events_exchange

log = structlog.get_logger(__name__)
# Only what a page shows live; business SMS (millions a year) never reach the gateway.
ROUTING_KEYS = ("ticket.#", "workorder.#", "sla.#", "call.#", "spares.#")


@dataclass(frozen=True)
class Nudge:
    topic: str  # the event type, e.g. "sla.breached"
    data: dict[str, Any]
    ticket_unit: str | None = None  # the unit of the ticket it is about, if known


class LiveHub:
    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.subscribers: set[asyncio.Queue[Nudge]] = set()
        self._connection: AbstractRobustConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # set once the queue is bound: from then on no nudge is missed
        self.ticket_units = TicketUnits()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="web-live-hub")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._connection:
            await self._connection.close()

    async def _run(self) -> None:
        delay = 1.0
        while self._connection is None:
            try:
                self._connection = await connect(self.amqp_url, "gateway-live")
            except Exception as exc:  # the broker is not up yet; pages still work, only not live
                log.warning("live_broker_unreachable", error=repr(exc)[:200], retry_in_s=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
        # After a broker outage the nudges it swallowed are unknown: every open page re-reads itself.
        self._connection.reconnect_callbacks.add(lambda *_: self.publish(Nudge("resync", {})))
        channel = await self._connection.channel()
        exchange = await declare_events_exchange(channel)
        # Robust connections re-declare this queue and its bindings after a broker restart.
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True, durable=False)
        for key in ROUTING_KEYS:
            await queue.bind(exchange, routing_key=key)
        await queue.consume(self._on_message, no_ack=True)
        self.ready.set()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = json.loads(message.body)
            data = dict(envelope.get("data") or {})
        except (ValueError, TypeError):
            return
        self.publish(Nudge(str(envelope.get("type") or message.routing_key), data, self._ticket_unit(data)))

    def _ticket_unit(self, data: dict[str, Any]) -> str | None:
        """The unit of the event's ticket: its own (remembered for later events that lack it) or remembered."""
        ticket_id, unit_id = str(data.get("ticket_id") or ""), str(data.get("unit_id") or "")
        if not ticket_id:
            return None
        if unit_id:
            self.ticket_units.learn(ticket_id, unit_id)
            return unit_id
        return self.ticket_units.unit_of(ticket_id)

    def publish(self, nudge: Nudge) -> None:
        for queue in list(self.subscribers):
            if queue.full():  # a stalled browser: drop its oldest nudge rather than hold memory
                queue.get_nowait()
            queue.put_nowait(nudge)

    def subscribe(self) -> asyncio.Queue[Nudge]:
        queue: asyncio.Queue[Nudge] = asyncio.Queue(maxsize=200)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Nudge]) -> None:
        self.subscribers.discard(queue)
