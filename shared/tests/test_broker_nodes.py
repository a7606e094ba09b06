"""A broker connection over a list of nodes (OPSDESK_AMQP_URL with several URLs, issue 23): it starts on
the first node that answers and, when its node goes away, carries on on the next one with its channels,
queues and consumers restored. The nodes here are this run's broker behind stand-ins: a port nobody
listens on (a node that is down) and a TCP relay the test cuts (a node lost under a live connection)."""

import asyncio
import socket
import urllib.parse
import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest

from opsdesk_shared.messaging.connection import ClusterConnection, confirm_channel, connect
from opsdesk_shared.testing.plugin import RunEnvironment


def _with_port(url: str, port: int) -> str:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Relay:
    """A TCP relay to the broker that can be cut: the node behind it is then 'down'."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.writers:
            w.close()
        await self.server.wait_closed()


@pytest.fixture
async def relay(migrated: RunEnvironment) -> AsyncIterator[Relay]:
    port = urllib.parse.urlsplit(migrated.amqp_url).port or 5672
    relay = Relay(port)
    yield relay
    if relay.server is not None and relay.server.is_serving():
        await relay.cut()


async def test_the_first_node_that_answers_is_used(migrated: RunEnvironment) -> None:
    down = _with_port(migrated.amqp_url, _closed_port())
    connection = await connect(f"{down},{migrated.amqp_url}", "test-nodes")
    try:
        assert isinstance(connection, ClusterConnection)
        assert connection.url.port == urllib.parse.urlsplit(migrated.amqp_url).port
        channel = await confirm_channel(connection)
        await channel.declare_queue(f"test.{uuid.uuid4().hex[:8]}", exclusive=True)
    finally:
        await connection.close()


async def test_no_node_answering_fails_naming_every_node(migrated: RunEnvironment) -> None:
    urls = ",".join(_with_port(migrated.amqp_url, _closed_port()) for _ in range(2))
    with pytest.raises(ConnectionError, match="no broker node answered") as err:
        await connect(urls, "test-nodes")
    assert "guest@" not in str(err.value) or "***" in str(err.value)


async def test_a_lost_node_moves_the_connection_to_the_next_with_its_consumer(
    migrated: RunEnvironment, relay: Relay
) -> None:
    first = _with_port(migrated.amqp_url, await relay.start())
    connection = await connect(f"{first},{migrated.amqp_url}", "test-nodes")
    try:
        reconnected = asyncio.Event()
        connection.reconnect_callbacks.add(lambda *_: reconnected.set())
        channel = await confirm_channel(connection)
        queue = await channel.declare_queue(f"test.{uuid.uuid4().hex[:8]}", auto_delete=True)
        received: asyncio.Queue[bytes] = asyncio.Queue()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                await received.put(message.body)

        await queue.consume(on_message)
        await channel.default_exchange.publish(aio_pika.Message(b"before"), routing_key=queue.name)
        assert await asyncio.wait_for(received.get(), 10) == b"before"

        await relay.cut()  # the first node is gone, and stays gone
        await asyncio.wait_for(reconnected.wait(), 30)
        assert isinstance(connection, ClusterConnection)
        assert connection.url.port == urllib.parse.urlsplit(migrated.amqp_url).port
        # The channel, the queue and the consumer were restored on the next node; publishes are confirmed.
        await channel.default_exchange.publish(aio_pika.Message(b"after"), routing_key=queue.name)
        assert await asyncio.wait_for(received.get(), 10) == b"after"
    finally:
        await connection.close()
