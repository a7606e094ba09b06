"""The keys only the gateway holds, besides the JWT private key: one per purpose, each in a file of its own
(a mounted secret in production, made once by `make run` in development; never in a database or a dump).

- `OPSDESK_WEB_SESSION_KEY_FILE`: 32 or more random bytes, base64. Signs the web UI's session cookie. Replacing
  it signs every browser out and touches nothing else.
- `OPSDESK_TOTP_KEY_FILE`: Fernet keys, one a line. The first seals the TOTP secrets; every line opens them, so a
  rotation adds the new key first and keeps the old one below until the secrets are resealed
  (`auth/totp_reseal.py`).

Like the PII key (opsdesk_shared/personal_data.py), a missing or malformed file stops the gateway at start
instead of failing sign-ins.
"""

import base64
import binascii
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

SESSION_KEY_MIN_BYTES = 32


class GatewayKeyMissing(RuntimeError):
    pass


def read_session_key(key_file: Path) -> bytes:
    key = _decode(_read(key_file, "OPSDESK_WEB_SESSION_KEY_FILE").strip(), key_file)
    if len(key) < SESSION_KEY_MIN_BYTES:
        raise GatewayKeyMissing(f"{key_file} holds {len(key)} bytes; the session key needs {SESSION_KEY_MIN_BYTES}")
    return key


def read_totp_keys(key_file: Path) -> list[bytes]:
    """The TOTP keys, the sealing one first."""
    lines = [line.strip() for line in _read(key_file, "OPSDESK_TOTP_KEY_FILE").splitlines()]
    keys = [line.encode() for line in lines if line and not line.startswith("#")]
    if not keys:
        raise GatewayKeyMissing(f"{key_file} holds no key")
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError as exc:
            raise GatewayKeyMissing(
                f"{key_file}: key {number} is not a Fernet key (32 bytes, url-safe base64)"
            ) from exc
    return keys


def create_session_key_file(key_file: Path) -> bool:
    """A new random session key, only if there is none (True when made). Readable by the owner only."""
    return _create(key_file, base64.b64encode(secrets.token_bytes(SESSION_KEY_MIN_BYTES)).decode())


def create_totp_key_file(key_file: Path) -> bool:
    return _create(key_file, Fernet.generate_key().decode())


def _read(key_file: Path, setting: str) -> str:
    try:
        return key_file.read_text()
    except FileNotFoundError as exc:
        raise GatewayKeyMissing(
            f"no key at {key_file}: set {setting}, or run `make run` once in development to create one"
        ) from exc


def _decode(text: str, key_file: Path) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise GatewayKeyMissing(f"{key_file} does not hold a base64 key") from exc


def _create(key_file: Path, content: str) -> bool:
    if key_file.exists():
        return False
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(content + "\n")
    key_file.chmod(0o600)
    return True
