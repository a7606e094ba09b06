"""Password hashing (argon2id) and the password policy MLPS level 3 assessors check."""

import re
import secrets
import string
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from opsdesk_shared.errors import RuleViolation

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as one for a known user.
_DUMMY_HASH = _hasher.hash("opsdesk-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, *, username: str) -> None:
    """At least 8 characters from at least 3 of: lower, upper, digit, symbol; not the username."""
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if len(password) < 8 or classes < 3:
        raise RuleViolation(
            "password: at least 8 characters with 3 of lower case, upper case, digits and symbols",
            field="password",
            code="password.too_weak",
        )
    if username.lower() in password.lower():
        raise RuleViolation(
            "password: must not contain the username", field="password", code="password.contains_username"
        )
    if is_breached(password):
        raise RuleViolation(
            "password: found in lists of breached passwords (also with capitals, digits or symbols added, "
            "or letters swapped for look-alikes); choose another",
            field="password",
            code="password.breached",
        )


# Look-alike characters people swap in ("P@ssw0rd"): undone before the list is consulted.
_UNLEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})


@cache
def _breached() -> frozenset[str]:
    """The 30,000 most common passwords of public breaches (zxcvbn's list, from Xato's 10 million)."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def is_breached(password: str) -> bool:
    lowered = password.lower()
    core = re.sub(r"[^a-z]+$", "", re.sub(r"^[^a-z]+", "", lowered))  # "2024Password123!" -> "password"
    candidates = {
        lowered,
        core,
        lowered.translate(_UNLEET),
        core.translate(_UNLEET),
        re.sub(r"[^a-z]+$", "", lowered.translate(_UNLEET)),
    }
    return any(len(c) >= 4 and c in _breached() for c in candidates)


def generate_password() -> str:
    """16 characters, always from all four classes, so the password policy accepts it."""
    alphabet = string.ascii_letters + string.digits + "!@#%^*-_"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(16))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate
