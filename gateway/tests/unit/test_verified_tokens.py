"""The verified-token cache every service verifies through (opsdesk_shared/verified_tokens.py) answers as a
fresh verification would: a kept verdict ends when the token expires, and a refusal is never kept."""

import time
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.auth.tokens import TokenIssuer
from opsdesk_shared.auth import Role
from opsdesk_shared.errors import Unauthorized
from opsdesk_shared.verified_tokens import CachingTokenVerifier

pytestmark = pytest.mark.unit

ISSUER, AUDIENCE = "opsdesk-gateway", "opsdesk"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _keys() -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


PRIVATE, PUBLIC = _keys()
ISSUE = TokenIssuer(PRIVATE, issuer=ISSUER, audience=AUDIENCE, ttl_s=60)


def _token(ttl_s: int = 60) -> str:
    return ISSUE.access_token(
        subject=uuid.uuid4(), name="值班员", roles=[Role.HOTLINE_OPERATOR], unit_id=None, ttl_s=ttl_s
    )


def _verifier(clock: Clock, max_tokens: int = 8) -> CachingTokenVerifier:
    return CachingTokenVerifier(PUBLIC, issuer=ISSUER, audience=AUDIENCE, max_tokens=max_tokens, clock=clock)


def test_a_verified_token_is_kept_until_its_expiry_and_checked_afresh_from_then() -> None:
    clock = Clock(time.time())
    verifier = _verifier(clock)
    token = _token(ttl_s=60)
    first = verifier.verify(token)
    assert verifier.verify(token) is first  # kept: not verified again
    clock.now += 60  # the cache's clock at the token's `exp` (PyJWT's own clock has not moved)
    again = verifier.verify(token)
    assert again == first and again is not first  # verified afresh: the cache gave no answer past `exp`


def test_an_expired_token_is_refused_and_not_kept() -> None:
    verifier = _verifier(Clock(time.time()))
    expired = ISSUE.access_token(subject=uuid.uuid4(), name="x", roles=[], unit_id=None, ttl_s=-10)
    with pytest.raises(Unauthorized) as refused:
        verifier.verify(expired)
    assert refused.value.code == "auth.token_expired"
    assert expired not in verifier._verified


def test_a_refused_token_is_refused_every_time_and_never_kept() -> None:
    verifier = _verifier(Clock(time.time()))
    header, payload, signature = _token().split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    for _ in range(2):
        with pytest.raises(Unauthorized):
            verifier.verify(forged)
    assert forged not in verifier._verified
    _, other_payload, _ = _token().split(".")
    with pytest.raises(Unauthorized):
        verifier.verify(f"{header}.{other_payload}.{signature}")  # another token's claims under this signature


def test_the_kept_tokens_are_bounded_the_expired_going_first() -> None:
    clock = Clock(time.time())
    verifier = _verifier(clock, max_tokens=3)
    short, long_a, long_b = _token(ttl_s=70), _token(ttl_s=600), _token(ttl_s=600)
    for token in (short, long_a, long_b):
        verifier.verify(token)
    clock.now += 100  # `short` expired as far as the cache knows
    newest = _token(ttl_s=600)
    verifier.verify(newest)
    assert set(verifier._verified) == {long_a, long_b, newest}
    another = _token(ttl_s=600)
    verifier.verify(another)  # none expired: the oldest kept goes
    assert set(verifier._verified) == {long_b, newest, another}
