"""The public keys tokens are checked against (one, or several during a rotation) and the key ids naming them."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from opsdesk_shared.auth import TokenVerifier
from opsdesk_shared.errors import Unauthorized
from opsdesk_shared.jwt_keys import JwtKeyError, key_id, public_keys

OLD, NEW, STRANGER = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()


def pem(key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def token(signer: Ed25519PrivateKey, headers: dict[str, object] | None = None) -> str:
    now = datetime.now(UTC)
    claims: dict[str, object] = {"iss": "i", "aud": "a", "sub": "9f1c7a4e-0b7e-4e7c-9d0e-2f4b3c1a5d6e", "typ": "access"}
    claims |= {"iat": now, "exp": now + timedelta(minutes=5)}
    return jwt.encode(claims, signer, algorithm="EdDSA", headers=headers)


def with_header(signed: str, header: dict[str, object]) -> str:
    """The token with another header (PyJWT will not write a malformed one)."""
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return ".".join([encoded, *signed.split(".")[1:]])


def kid(signer: Ed25519PrivateKey) -> dict[str, object]:
    return {"kid": key_id(signer.public_key())}


def test_the_key_id_is_the_rfc_7638_thumbprint() -> None:
    # RFC 8037, appendix A.3: the thumbprint of the example Ed25519 key.
    x = base64.urlsafe_b64decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    assert key_id(Ed25519PublicKey.from_public_bytes(x)) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        (pem(OLD), [key_id(OLD.public_key())]),
        (pem(NEW) + pem(OLD), [key_id(NEW.public_key()), key_id(OLD.public_key())]),
        (pem(OLD) + "\n# the same key twice\n" + pem(OLD), [key_id(OLD.public_key())]),
    ],
    ids=["one", "new and old", "repeated"],
)
def test_a_key_file_holds_one_or_more_public_keys(text: str, ids: list[str]) -> None:
    assert list(public_keys(text)) == ids


@pytest.mark.parametrize(
    "text", ["", "# replace: openssl pkey -pubout\n", pem(ec.generate_private_key(ec.SECP256R1()))], ids=str
)
def test_a_key_file_without_an_ed25519_public_key_is_refused(text: str) -> None:
    with pytest.raises(JwtKeyError):
        public_keys(text)


@pytest.mark.parametrize(
    ("signed", "accepted"),
    [
        (token(NEW, kid(NEW)), True),
        (token(OLD, kid(OLD)), True),  # issued before the switch, still valid until it expires
        (token(OLD), True),  # from a gateway before key ids: tried against each key
        (token(STRANGER), False),
        (token(STRANGER, kid(STRANGER)), False),
        (token(STRANGER, kid(NEW)), False),  # claims a held key, signed by another
        (with_header(token(NEW), {"alg": "EdDSA", "typ": "JWT", "kid": ["not", "text"]}), False),
    ],
    ids=["new", "old", "old without kid", "stranger", "stranger with its kid", "stranger posing", "kid not text"],
)
def test_during_a_rotation_tokens_of_either_key_are_accepted_and_no_other(signed: str, accepted: bool) -> None:
    verifier = TokenVerifier(pem(NEW) + pem(OLD), issuer="i", audience="a")
    if accepted:
        assert verifier.verify(signed).username == ""
    else:
        with pytest.raises(Unauthorized):
            verifier.verify(signed)
