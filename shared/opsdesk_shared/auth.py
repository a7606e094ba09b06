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
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request

from opsdesk_shared import jwt_keys
from opsdesk_shared.errors import Forbidden, Unauthorized


class Role(StrEnum):
    HOTLINE_OPERATOR = "hotline_operator"
    REQUESTER = "requester"
    DISPATCHER = "dispatcher"
    ENGINEER = "engineer"
    SUPERVISOR = "supervisor"
    # The vendor's project manager (乙方项目经理): reads the vendor's work as a supervisor does (personal data
    # masked), reviews improvement measures, keeps spares and inspection plans, hears of every SLA breach.
    PROJECT_MANAGER = "project_manager"
    ADMIN = "admin"
    SECURITY_ADMIN = "security_admin"
    AUDITOR = "auditor"
    SYSTEM = "system"


STAFF_ROLES = frozenset(
    {Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.ADMIN}
)


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
    """Checks tokens against every public key of `OPSDESK_JWT_PUBLIC_KEY_FILE` (one, or two while the signing
    key is rotated: opsdesk_shared/jwt_keys.py); the token's `kid` picks the key."""

    def __init__(self, public_keys_pem: str, *, issuer: str, audience: str) -> None:
        self.keys = jwt_keys.public_keys(public_keys_pem)
        self.issuer = issuer
        self.audience = audience

    def verify(self, token: str) -> Principal:
        try:
            claims = self._decode(token)
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("access token expired", code="auth.token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("invalid access token", code="auth.token_invalid") from exc
        if claims.get("typ") != "access":
            raise Unauthorized("not an access token", code="auth.token_invalid")
        unit = claims.get("unit_id")
        return Principal(
            subject=UUID(claims["sub"]),
            username=claims.get("name", ""),
            roles=frozenset(claims.get("roles", [])),
            unit_id=UUID(unit) if unit else None,
            scopes=frozenset(claims.get("scopes", [])),
        )

    def _decode(self, token: str) -> dict[str, Any]:
        kid = jwt.get_unverified_header(token).get("kid")
        if kid is not None and (not isinstance(kid, str) or kid not in self.keys):
            raise jwt.InvalidSignatureError("signed by a key this service does not accept")
        # A token without `kid` (from a gateway before key ids) is tried against each key.
        candidates = [self.keys[kid]] if kid is not None else list(self.keys.values())
        for key in candidates[:-1]:
            try:
                return self._decode_with(token, key)
            except jwt.InvalidSignatureError:
                continue
        return self._decode_with(token, candidates[-1])

    def _decode_with(self, token: str, key: Ed25519PublicKey) -> dict[str, Any]:
        return jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            issuer=self.issuer,
            audience=self.audience,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )


def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("missing bearer token", code="auth.unauthenticated")
    return token


# Tokens good only for setting up one's own account: replacing an expired or initial password, enrolling
# the second factor (MLPS level 3). They carry no roles, and every route refuses them here, but the
# gateway's own account set-up routes (which take `AccountSetup`).
PASSWORD_CHANGE_SCOPE = "password:change"
TOTP_ENROL_SCOPE = "totp:enrol"
SETUP_RULES = {PASSWORD_CHANGE_SCOPE: "password-change-required", TOTP_ENROL_SCOPE: "totp-enrolment-required"}


async def current_principal(request: Request) -> Principal:
    principal = await account_setup_principal(request)
    for scope, rule in SETUP_RULES.items():
        if scope in principal.scopes:
            raise Forbidden(f"finish setting up your account first: {rule}", rule=rule, code="auth.setup_required")
    return principal


async def account_setup_principal(request: Request) -> Principal:
    """Any valid access token, including one good only for setting up the account."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(bearer_token(request))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AccountSetup = Annotated[Principal, Depends(account_setup_principal)]


def require_roles(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller must hold one of `roles` (deny by default)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any(*roles):
            raise Forbidden(f"requires one of the roles: {', '.join(sorted(roles))}", code="auth.role_required")
        return principal

    return dependency
