from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.auth import Principal, Role, require_roles


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    async with request.app.state.sessions() as session, session.begin():
        yield session


# scope="function": the transaction commits before the response is sent. FastAPI's default ("request") ends
# a yield dependency after the response, so a client could be told 201 for a write whose commit then failed.
Uow = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]

Manager = Annotated[Principal, Depends(require_roles(Role.DISPATCHER, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Staff = Annotated[
    Principal,
    Depends(require_roles(Role.DISPATCHER, Role.ADMIN, Role.ENGINEER, Role.SUPERVISOR, Role.HOTLINE_OPERATOR)),
]
Overseer = Annotated[Principal, Depends(require_roles(Role.DISPATCHER, Role.ADMIN, Role.SUPERVISOR))]
