"""Screen pops: the phone rings at an operator's desk, their console shows who is calling.

Every intake API process listens on PostgreSQL's `cti_screen_pop` channel and hands each pop to the
server-sent-event streams of that operator connected to it; so the CTI post and the operator's stream may
land on different replicas."""

import asyncio
import json
from collections import defaultdict
from typing import Any

import asyncpg

from intake.calls.service import SCREEN_POP_CHANNEL
from opsdesk_shared import wakeups


class ScreenPopHub:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.streams: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._conn: asyncpg.Connection | None = None

    async def start(self) -> None:
        # If the database is away the hub starts without pops; readiness reports the database meanwhile.
        self._conn = await wakeups.listen(self.dsn, SCREEN_POP_CHANNEL, self._on_notify)

    async def stop(self) -> None:
        await wakeups.close(self._conn)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        pop = json.loads(payload)
        for queue in list(self.streams.get(pop["agent"], ())):
            queue.put_nowait(pop)

    def subscribe(self, agent: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
        self.streams[agent].add(queue)
        return queue

    def unsubscribe(self, agent: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.streams[agent].discard(queue)
