"""The FastAPI dependencies every service's routers share: one transaction per request.

A route takes `uow: Uow` to write (committed when the route returns, rolled back if it raises) or
`session: ReadSession` to read (a read-only transaction: a write attempted through it fails loudly instead
of being lost). Both expect `app.state.sessions`, the service's `async_sessionmaker`, set by its lifespan.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    async with _sessions(request)() as session, session.begin():
        yield session


async def read_only(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only transaction (asyncpg starts it READ ONLY: no extra round trip)."""
    async with _sessions(request)() as session, session.begin():
        await session.connection(execution_options={"postgresql_readonly": True})
        yield session


# scope="function": the transaction ends before the response is sent. FastAPI's default ("request") ends a
# yield dependency after the response, so a client could be told 201 for a write whose commit then failed.
Uow = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
ReadSession = Annotated[AsyncSession, Depends(read_only, scope="function")]
# A read that goes on while the response streams (an export): ends after the response, as it must.
StreamingRead = Annotated[AsyncSession, Depends(read_only, scope="request")]
