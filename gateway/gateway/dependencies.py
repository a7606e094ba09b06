from typing import Annotated

from fastapi import Depends, Request

from gateway.auth.tokens import TokenIssuer
from gateway.config import GatewaySettings


def settings(request: Request) -> GatewaySettings:
    current: GatewaySettings = request.app.state.settings
    return current


def issuer(request: Request) -> TokenIssuer:
    current: TokenIssuer = request.app.state.issuer
    return current


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


Settings = Annotated[GatewaySettings, Depends(settings)]
Issuer = Annotated[TokenIssuer, Depends(issuer)]
