"""Broker connections: robust (reconnecting) connections over a list of nodes, and confirm-mode channels.

`OPSDESK_AMQP_URL` names one broker or several nodes of a cluster, comma-separated
(`amqp://u:p@mq1:5672/opsdesk,amqp://u:p@mq2:5672/opsdesk`). A connection starts with the first node that
answers; when its node goes away it reconnects to the next one in the list (round and round, a pause of
`RECONNECT_INTERVAL_S` after a failed attempt), and its channels, exchanges, queues and consumers are
restored there (aio-pika's robust connection). A publish in flight when the node went away gets no
confirm: it raises, and the outbox relay leaves its row unsent for the next pass (relay.py).
"""

from collections.abc import Sequence
from typing import Any

import structlog
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from aio_pika.robust_connection import RobustConnection
from prometheus_client import Counter
from yarl import URL

from opsdesk_shared.settings import broker_urls

log = structlog.get_logger(__name__)

RECONNECT_INTERVAL_S = 1.0
CONNECT_TIMEOUT_S = 10.0

RECONNECTS = Counter("opsdesk_amqp_reconnects_total", "Broker connections re-established", ["connection"])


def _safe(url: URL) -> str:
    return str(url.with_password("***") if url.password else url)


class ClusterConnection(RobustConnection):
    """A robust connection that moves to the next node of the list whenever a connection to its current
    node fails or is lost, instead of waiting for that node to come back."""

    def __init__(self, url: URL, *args: Any, nodes: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(url, *args, **kwargs)
        self.nodes = [URL(n) for n in nodes] or [url]
        self.node = 0
        self.reconnect_callbacks.add(self._reconnected)

    def _next_node(self) -> None:
        if len(self.nodes) > 1:
            self.node = (self.node + 1) % len(self.nodes)
            # Connection.connect() reads self.url: the next attempt goes to the next node.
            self.url = self.nodes[self.node]

    async def _RobustConnection__connect_transport(self) -> None:  # aio-pika's private attempt, wrapped
        try:
            await super()._RobustConnection__connect_transport()  # type: ignore[misc]
        except BaseException:
            self._next_node()
            raise

    async def _on_connection_close(self, closing: Any) -> None:
        if not (self._close_called or self.is_closed):
            log.warning("amqp_connection_lost", node=_safe(self.url))
            self._next_node()
        await super()._on_connection_close(closing)

    def _reconnected(self, *_: Any) -> None:
        name = str(self.kwargs.get("client_properties", {}).get("connection_name", ""))
        RECONNECTS.labels(name).inc()
        log.warning("amqp_reconnected", connection=name, node=_safe(self.url))


async def connect(amqp_url: str, name: str) -> AbstractRobustConnection:
    """A robust connection to the first node of `amqp_url` that answers (each tried in turn)."""
    urls = broker_urls(amqp_url)
    errors: list[str] = []
    for first in range(len(urls)):
        nodes = urls[first:] + urls[:first]
        connection = ClusterConnection(
            URL(nodes[0]),
            client_properties={"connection_name": name},
            reconnect_interval=RECONNECT_INTERVAL_S,
            nodes=nodes,
        )
        try:
            await connection.connect(timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # this node does not answer: the next one may
            await connection.close()
            if len(urls) == 1:
                raise
            errors.append(f"{_safe(URL(nodes[0]))}: {exc!r:.200}")
            continue
        return connection
    raise ConnectionError("no broker node answered: " + "; ".join(errors))


async def confirm_channel(connection: AbstractRobustConnection, prefetch: int = 0) -> AbstractChannel:
    """A channel whose publishes wait for the broker's confirm and raise on an unroutable message."""
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    if prefetch:
        await channel.set_qos(prefetch_count=prefetch)
    return channel
