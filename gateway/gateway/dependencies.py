from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.tokens import TokenIssuer
from gateway.config import GatewaySettings


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session, session.begin():
        yield session


def settings(request: Request) -> GatewaySettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def issuer(request: Request) -> TokenIssuer:
    return request.app.state.issuer  # type: ignore[no-any-return]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# scope="function": the transaction commits before the response is sent. FastAPI's default ("request") ends
# a yield dependency after the response, so a client could be told 201 for a write whose commit then failed.
Uow = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
# A read that goes on while the response streams (the audit export): ends after the response, as it must.
StreamingRead = Annotated[AsyncSession, Depends(unit_of_work, scope="request")]
Settings = Annotated[GatewaySettings, Depends(settings)]
Issuer = Annotated[TokenIssuer, Depends(issuer)]
