"""Phone numbers: parsed and stored as E.164 (phonenumbers), masked wherever a person need not see them."""

import re
from typing import Any

import phonenumbers

from opsdesk_shared.errors import RuleViolation

# Mainland mobile numbers, E.164 or national, anywhere in a text: keep the first 3 and last 4 digits.
_CN_MOBILE = re.compile(r"(?<!\d)(\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_OTHER_E164 = re.compile(r"(?<![\w+])\+(\d{1,3})(\d{2,})(\d{4})(?!\d)")


def normalise_phone(raw: str, region: str = "CN", *, field: str = "phone") -> str:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise RuleViolation(f"{field}: not a phone number", field=field, code="validation.not_a_phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise RuleViolation(f"{field}: not a valid phone number", field=field, code="validation.not_a_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(text: str) -> str:
    """`+8613812341234` -> `+86138****1234` (also inside longer text); other E.164 keep the last 4."""
    masked = _CN_MOBILE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}", text)
    return _OTHER_E164.sub(lambda m: f"+{m.group(1)}{'*' * len(m.group(2))}{m.group(3)}", masked)


def mask_phones_in(value: Any) -> Any:
    """Every phone number inside a structure of dicts, lists and strings masked (for logs, kept events)."""
    if isinstance(value, str):
        return mask_phone(value)
    if isinstance(value, dict):
        return {k: mask_phones_in(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_phones_in(v) for v in value)
    return value


# A masked mainland mobile as stored or answered (`+86138****1234`, `138****1234`).
_MASKED_CN_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d)(\*{4})(\d{4})$")


def display_phone(value: str | None) -> str:
    """A number as people read and dial it in China: `+8613800010005` -> `138 0001 0005`, a landline
    `+861065551234` -> `010 6555 1234`, a masked one `+86138****0005` -> `138 **** 0005`; a foreign
    number in international format; anything else unchanged (never fails: it only formats)."""
    if not value:
        return ""
    if masked := _MASKED_CN_MOBILE.match(value):
        return " ".join(masked.groups())
    try:
        parsed = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_valid_number(parsed):
        return value
    if parsed.country_code != 86:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    # phonenumbers groups mobiles as "138 0001 0005" and landlines as "010 6555 1234" already; its
    # national format only separates with spaces and dashes, and people here read spaces.
    return national.replace("-", " ")
