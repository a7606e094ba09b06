"""Ticket numbers: `YYYYMMDD-NNNN`, by the Asia/Shanghai day, unique and sortable.

One row per day (`ticket_number_counter`) incremented with an upsert: concurrent creators serialise on that
row only, so numbers never collide and never need a retry.

Where the upsert runs decides how long that row stays locked, and every ticket filed meanwhile waits:
- in the statement that files the ticket (`tickets/filing.py`, which formats the number in SQL exactly as
  `format_ticket_number` does), the row is locked until that transaction commits, a round trip later. The
  workers file so (a ticket for an inspection finding or a monitoring alert): few, and in their own time.
- taken ahead by `NumberAllocator`, in a transaction of its own that the server commits as soon as the upsert
  is done, the row is locked for that statement alone, and the numbers of all the filings waiting together are
  taken by one upsert. `POST /api/tickets` files so: at 32 clients in `make bench`, the filing statement's wait
  for the row was p50 46 ms and p99 1.25 s while the lock was held to the commit.

A number taken ahead whose filing then fails (the database gone mid-request, a call the ticket was to be
linked to already taken) is not used again: numbers stay unique and in order, with a gap there, as in
sequence-numbered trackers generally.
"""

import asyncio
from collections import defaultdict
from datetime import date
from zoneinfo import ZoneInfo

import asyncpg

SHANGHAI = ZoneInfo("Asia/Shanghai")

_TAKE = (
    "INSERT INTO ticket_number_counter (day, last) VALUES ($1, $2) "
    "ON CONFLICT (day) DO UPDATE SET last = ticket_number_counter.last + $2 RETURNING last"
)


def format_ticket_number(day: date, seq: int) -> str:
    """`20261125-0042`; past 9,999 in a day the sequence simply grows a digit."""
    return f"{day:%Y%m%d}-{seq:04d}"


class NumberAllocator:
    """Takes numbers for the filings of this process on a connection of its own (never one of the pool's, which
    the filings waiting for their numbers hold), the requests that arrive while one upsert runs taking theirs
    together in the next, in the order they asked."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._waiting: list[tuple[date, asyncio.Future[str]]] = []
        self._taker: asyncio.Task[None] | None = None

    async def take(self, day: date) -> str:
        """The next number of `day`; raises what failed the upsert (an outage: the caller answers 503)."""
        number: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting.append((day, number))
        if self._taker is None or self._taker.done():
            self._taker = asyncio.create_task(self._take_waiting(), name="intake-ticket-numbers")
        return await number

    async def _take_waiting(self) -> None:
        while self._waiting:
            waiting, self._waiting = self._waiting, []
            by_day: dict[date, list[asyncio.Future[str]]] = defaultdict(list)
            for day, number in waiting:
                by_day[day].append(number)
            for day, numbers in by_day.items():
                try:
                    last = await self._upsert(day, len(numbers))
                except Exception as exc:
                    for number in numbers:
                        if not number.cancelled():
                            number.set_exception(exc)
                    continue
                for seq, number in enumerate(numbers, start=last - len(numbers) + 1):
                    if not number.cancelled():  # its request gone: the number is skipped, as a failed filing's
                        number.set_result(format_ticket_number(day, seq))

    async def _upsert(self, day: date, count: int) -> int:
        for attempt in (1, 2):
            fresh = self._conn is None or self._conn.is_closed()
            try:
                if fresh:
                    self._conn = await asyncpg.connect(self._dsn)
                assert self._conn is not None
                return int(await self._conn.fetchval(_TAKE, day, count))
            except Exception:
                # A lost connection, or one to a server that has become a standby: connect afresh (a multi-host
                # DSN finds the new primary), once at once if the connection was an old one (the server
                # restarted since; an upsert that went through unanswered only leaves a gap).
                await self.close()
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()
