"""A small asyncio load generator: closed loop (N clients, each sending its next request when the last
one answered) and open loop (requests started on a fixed schedule, whatever the answers do), recording
every latency. Percentiles are exact (all samples kept), not estimated."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
import httpx


@dataclass
class Load:
    started: float = 0.0
    finished: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def elapsed_s(self) -> float:
        return self.finished - self.started

    @property
    def rate(self) -> float:
        return len(self.latencies_s) / self.elapsed_s if self.elapsed_s else 0.0


async def _attempt(send: Callable[[int], Awaitable[bool]], i: int) -> bool:
    """A transport failure (refused, reset) is an error to count, not the end of the run."""
    try:
        return await send(i)
    except (httpx.TransportError, aiohttp.ClientError):
        return False


async def closed_loop(send: Callable[[int], Awaitable[bool]], *, clients: int, duration_s: float) -> Load:
    """`send(i)` makes request number i and says whether it succeeded."""
    load = Load(started=time.perf_counter())
    deadline = load.started + duration_s
    counter = iter(range(10**9))

    async def client() -> None:
        while time.perf_counter() < deadline:
            i = next(counter)
            began = time.perf_counter()
            ok = await _attempt(send, i)
            if ok:
                load.latencies_s.append(time.perf_counter() - began)
            else:
                load.errors += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    load.finished = time.perf_counter()
    return load


async def open_loop(send: Callable[[int], Awaitable[bool]], *, rate_per_s: float, count: int) -> Load:
    """Start request i at `i / rate_per_s` seconds, however long earlier ones take."""
    load = Load(started=time.perf_counter())

    async def one(i: int) -> None:
        await asyncio.sleep(max(0.0, load.started + i / rate_per_s - time.perf_counter()))
        began = time.perf_counter()
        if await _attempt(send, i):
            load.latencies_s.append(time.perf_counter() - began)
        else:
            load.errors += 1

    await asyncio.gather(*(one(i) for i in range(count)))
    load.finished = time.perf_counter()
    return load
