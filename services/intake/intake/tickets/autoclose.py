"""Closing resolved tickets nobody answered (SPEC §2: default 72 h). Every intake worker runs it;
`FOR UPDATE SKIP LOCKED` and the status re-check make two replicas close each ticket once.

Inspection and monitoring tickets are left to the desk: they have no requester to stay silent, and a
dispatcher or the project manager closes their loop (issue 16), so they wait for that confirmation."""

import asyncio
from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from intake.tickets.models import Ticket
from intake.tickets.service import auto_close, now
from opsdesk_shared.contracts.vocabulary import QUIET_CHANNELS

log = structlog.get_logger(__name__)


class AutoCloser:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        quiet_hours: float,
        interval_s: float,
        batch_size: int = 200,
    ) -> None:
        self.sessions = sessions
        self.quiet_hours = quiet_hours
        self.interval_s = interval_s
        self.batch_size = batch_size

    async def close_due(self) -> int:
        async with self.sessions() as session, session.begin():
            rows = await session.execute(
                select(Ticket)
                .where(Ticket.status == "resolved", Ticket.resolved_at < now() - timedelta(hours=self.quiet_hours))
                .where(Ticket.channel.not_in(QUIET_CHANNELS))
                .order_by(Ticket.resolved_at)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            )
            tickets = list(rows.scalars())
            for ticket in tickets:
                await auto_close(session, ticket, self.quiet_hours)
        if tickets:
            log.info("tickets_auto_closed", count=len(tickets))
        return len(tickets)

    async def __call__(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                while await self.close_due() == self.batch_size:
                    pass
            except Exception as exc:  # the database may be away; the next round tries again
                log.warning("auto_close_failed", error=repr(exc)[:300])
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                pass
