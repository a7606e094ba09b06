"""Access tokens (short-lived EdDSA JWTs every service verifies) and opaque refresh tokens."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import jwt

from opsdesk_shared import jwt_keys


class TokenIssuer:
    def __init__(self, private_key: str, *, issuer: str, audience: str, ttl_s: int) -> None:
        self.private_key = jwt_keys.private_key(private_key)
        # Names the key in every token, so that services holding the old and the new public key during a
        # rotation check each token against the right one (opsdesk_shared/jwt_keys.py).
        self.key_id = jwt_keys.key_id(self.private_key.public_key())
        self.issuer = issuer
        self.audience = audience
        self.ttl_s = ttl_s

    def access_token(
        self,
        *,
        subject: UUID,
        name: str,
        roles: list[str],
        unit_id: UUID | None,
        scopes: list[str] | None = None,
        ttl_s: int | None = None,
    ) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(subject),
            "name": name,
            "roles": roles,
            "unit_id": str(unit_id) if unit_id else None,
            "scopes": scopes or [],
            "typ": "access",
            "iat": now,
            "exp": now + timedelta(seconds=ttl_s or self.ttl_s),
            "jti": uuid4().hex,
        }
        return jwt.encode(claims, self.private_key, algorithm="EdDSA", headers={"kid": self.key_id})


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """Refresh tokens and API keys are high-entropy: a plain SHA-256 is the right lookup hash."""
    return hashlib.sha256(secret.encode()).hexdigest()
