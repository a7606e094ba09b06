from typing import Annotated

from fastapi import Depends, Request

from gateway.auth.tokens import TokenIssuer
from gateway.config import GatewaySettings


def settings(request: Request) -> GatewaySettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def issuer(request: Request) -> TokenIssuer:
    return request.app.state.issuer  # type: ignore[no-any-return]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


Settings = Annotated[GatewaySettings, Depends(settings)]
Issuer = Annotated[TokenIssuer, Depends(issuer)]
