"""Every service's token verifier: each access token's verification kept until the token expires.

A desk sends one token for minutes, and every request it makes is verified by the gateway's edge (its rate
limit is the verified user's), again by the gateway's own routes, and by the service behind: EdDSA and PyJWT's
parsing were a twentieth of the gateway's CPU per ticket and 14-27 % of intake's `POST /api/tickets` in
`make bench`. An access token cannot be revoked before it expires (it is
short-lived; sign-out and revocation end the refresh token, services check the account where it matters), and
the keys are the process's for its life, so a verdict holds until `exp`. Refusals are never kept: a made-up
token costs its full check each time, and cannot push good ones out faster than it is answered. Each
service keeps its own verdicts: none takes another's word for a token.
"""

import base64
import json
import time
from collections.abc import Callable

from opsdesk_shared.auth import Principal, TokenVerifier

MAX_TOKENS = 4096


class CachingTokenVerifier(TokenVerifier):
    def __init__(
        self,
        public_keys_pem: str,
        *,
        issuer: str,
        audience: str,
        max_tokens: int = MAX_TOKENS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(public_keys_pem, issuer=issuer, audience=audience)
        self.max_tokens = max_tokens
        self.clock = clock
        self._verified: dict[str, tuple[float, Principal]] = {}

    def verify(self, token: str) -> Principal:
        now = self.clock()
        kept = self._verified.get(token)
        if kept is not None:
            if now < kept[0]:  # PyJWT's own rule: expired once `exp <= now`
                return kept[1]
            del self._verified[token]
        principal = super().verify(token)  # raises for an invalid or expired token
        if len(self._verified) >= self.max_tokens:
            self._evict(now)
        self._verified[token] = (_expiry(token), principal)
        return principal

    def _evict(self, now: float) -> None:
        """The expired first; if none, the oldest kept (insertion order)."""
        expired = [t for t, (exp, _) in self._verified.items() if exp <= now]
        for token in expired:
            del self._verified[token]
        if len(self._verified) >= self.max_tokens:
            del self._verified[next(iter(self._verified))]


def _expiry(token: str) -> float:
    """The `exp` of a token whose signature and claims were just verified (PyJWT required `exp`)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims["exp"])
