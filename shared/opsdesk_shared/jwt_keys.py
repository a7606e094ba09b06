"""The public keys access tokens are checked against, and the key id that names each one.

`OPSDESK_JWT_PUBLIC_KEY_FILE` holds one or more PEM public keys. More than one is how the signing key is
rotated without signing anyone out: the new public key is added beside the old, the gateway then signs with
the new private key, and tokens signed by the old one stay valid until they expire (`access_token_ttl_s`),
after which the old public key is removed. Tokens name their key in the `kid` header: the RFC 7638 thumbprint
of the public key, so every process derives the same id from the key itself, with nothing to configure.
"""

import base64
import hashlib
import json
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class JwtKeyError(ValueError):
    pass


def key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint: SHA-256 over the key's required members in lexicographic order."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()


def public_keys(pem_text: str) -> dict[str, Ed25519PublicKey]:
    """Every Ed25519 public key in the text, by key id (file order kept)."""
    keys: dict[str, Ed25519PublicKey] = {}
    for block in _PEM_BLOCK.findall(pem_text):
        key = serialization.load_pem_public_key(block.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise JwtKeyError("access tokens are EdDSA: every public key must be Ed25519")
        keys[key_id(key)] = key
    if not keys:
        raise JwtKeyError("no PEM public key (-----BEGIN PUBLIC KEY-----) found")
    return keys


def private_key(pem_text: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem_text.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise JwtKeyError("access tokens are EdDSA: the private key must be Ed25519")
    return key
