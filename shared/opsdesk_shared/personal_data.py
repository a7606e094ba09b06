"""Phone numbers encrypted at rest, with the key outside the database (MLPS level 3; PIPL).

A column typed `EncryptedPhone` holds `v1:` and the base64 of the number's AES-256-SIV ciphertext; the
application reads and writes plain numbers, the database and its dumps only ever see ciphertext.

SIV is deterministic: one number always gives one ciphertext. That is what keeps equality working: finding a
caller's tickets by number, the opt-out list keyed by number, unique keys and indexes. It reveals only that
two rows hold the same number, which those lookups need anyway; the number itself needs the key.

The key is 64 random bytes, base64, in `OPSDESK_PII_KEY_FILE` (default `var/keys/pii.key`): a mounted secret
in production, made once by `make run` in development, never in a database or a dump. Each process loads it
at start (`configure`), so a missing or malformed key stops the process instead of failing requests.
Events carry phone numbers sealed the same way (`SealedPhone`), so no copy of a number rests in plain text:
not in an outbox, not on the broker's disk, not in reporting's kept events.
`v1` names the key generation: a rotation adds `v2` and re-encrypts (not built yet).
"""

import base64
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from pydantic import BeforeValidator, PlainSerializer
from sqlalchemy import Text, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "v1:"
KEY_BYTES = 64


class PersonalDataKeyMissing(RuntimeError):
    pass


_cipher: AESSIV | None = None
_configured_from: Path | None = None


def configure(key_file: Path) -> None:
    """Load the key for this process (idempotent for the same file)."""
    global _cipher, _configured_from
    if _cipher is not None and _configured_from == key_file:
        return
    try:
        key = base64.b64decode(key_file.read_text().strip(), validate=True)
    except FileNotFoundError as exc:
        raise PersonalDataKeyMissing(
            f"no key for personal data at {key_file}: set OPSDESK_PII_KEY_FILE, or run `make run` once in "
            "development to create one"
        ) from exc
    except ValueError as exc:
        raise PersonalDataKeyMissing(f"{key_file} does not hold a base64 key") from exc
    if len(key) != KEY_BYTES:
        raise PersonalDataKeyMissing(f"{key_file} holds {len(key)} bytes; AES-256-SIV needs {KEY_BYTES}")
    _cipher, _configured_from = AESSIV(key), key_file


def create_key_file(key_file: Path) -> bool:
    """A new random key, only if there is none (True when made). Readable by the owner only."""
    if key_file.exists():
        return False
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
    key_file.chmod(0o600)
    return True


def _active() -> AESSIV:
    if _cipher is None:
        raise PersonalDataKeyMissing("personal_data.configure() was not called in this process")
    return _cipher


def encrypt(plain: str) -> str:
    return PREFIX + base64.b64encode(_active().encrypt(plain.encode(), None)).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before the column was encrypted, and not yet migrated
    return _active().decrypt(base64.b64decode(stored[len(PREFIX) :]), None).decode()


def _unseal(value: object) -> object:
    return decrypt(value) if isinstance(value, str) and value.startswith(PREFIX) else value


# A phone number inside an event (opsdesk_shared/contracts): sealed whenever the event is written out as JSON,
# so outboxes, the broker's disk and reporting's kept events hold ciphertext too; plain again when a consumer
# parses the event with its contract. A plain number (an event from before) is read as it is.
SealedPhone = Annotated[str, BeforeValidator(_unseal), PlainSerializer(encrypt, when_used="json")]


class EncryptedPhone(TypeDecorator[str]):
    """Text in the database, ciphertext at rest; a plain E.164 number in Python."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


def encrypt_in_place(columns: list[tuple[str, str]]) -> None:
    """For a migration: every plain value of each (table, column) replaced by its ciphertext (run by `migrate`,
    which has loaded the key). Distinct values, so a number on a thousand rows is encrypted once."""
    for table, column in columns:
        _rewrite(table, column, f"{column} NOT LIKE '{PREFIX}%'", encrypt)


def decrypt_in_place(columns: list[tuple[str, str]]) -> None:
    """The downgrade: ciphertext back to plain numbers."""
    for table, column in columns:
        _rewrite(table, column, f"{column} LIKE '{PREFIX}%'", decrypt)


def _rewrite(table: str, column: str, which: str, convert: Callable[[str], str]) -> None:
    from alembic import op  # only migrations call this

    conn = op.get_bind()
    values = conn.execute(text(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL AND {which}"))
    for (value,) in values.all():
        conn.execute(
            text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"), {"new": convert(value), "old": value}
        )
