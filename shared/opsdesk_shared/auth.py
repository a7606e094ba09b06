"""Verifying the gateway's access tokens, in every service (SPEC §1, §3).

The gateway signs short-lived EdDSA JWTs; services hold only the public key, so a compromised service
cannot mint tokens. `CurrentPrincipal` is the dependency every protected route takes; `require_roles`
narrows it. Unit scoping is the owning service's job: it gets the caller's unit from the principal.
"""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import jwt
from fastapi import Depends, Request

from opsdesk_shared.errors import Forbidden, Unauthorized


class Role(StrEnum):
    HOTLINE_OPERATOR = "hotline_operator"
    REQUESTER = "requester"
    DISPATCHER = "dispatcher"
    ENGINEER = "engineer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SECURITY_ADMIN = "security_admin"
    AUDITOR = "auditor"
    SYSTEM = "system"


STAFF_ROLES = frozenset({Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    subject: UUID
    username: str
    roles: frozenset[str]
    unit_id: UUID | None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class TokenVerifier:
    def __init__(self, public_key: str, *, issuer: str, audience: str) -> None:
        self.public_key = public_key
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=["EdDSA"],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("access token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid access token") from exc
        if claims.get("typ") != "access":
            raise Unauthorized("not an access token")
        unit = claims.get("unit_id")
        return Principal(
            subject=UUID(claims["sub"]),
            username=claims.get("name", ""),
            roles=frozenset(claims.get("roles", [])),
            unit_id=UUID(unit) if unit else None,
            scopes=frozenset(claims.get("scopes", [])),
        )


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing bearer token")
    return token


# A token carrying this scope (and no roles) lets its holder do one thing: change their password, because
# it was expired or had to be changed at first sign-in (MLPS level 3). Every other route refuses it here.
PASSWORD_CHANGE_SCOPE = "password:change"


async def current_principal(request: Request) -> Principal:
    principal = await principal_changing_password(request)
    if PASSWORD_CHANGE_SCOPE in principal.scopes:
        raise Forbidden("change your password first: POST /api/auth/password", rule="password-change-required")
    return principal


async def principal_changing_password(request: Request) -> Principal:
    """Any valid access token, including one good only for changing the password."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(bearer_token(request))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
PasswordChanger = Annotated[Principal, Depends(principal_changing_password)]


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller must hold one of `roles` (deny by default)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            raise Forbidden(f"requires one of the roles: {', '.join(sorted(roles))}")
        return principal

    return dependency
