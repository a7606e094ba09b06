"""The second factor (TOTP, RFC 6238) that MLPS level 3 asks of the administrators, the auditor and the
supervisors: enrolment, checking a code at sign-in, refusing a code used twice.

Secrets are stored encrypted (Fernet) under the TOTP key (`OPSDESK_TOTP_KEY_FILE`, gateway/keys.py), which
lives outside the database and serves nothing else: a dump of the database alone yields no usable secret, and
rotating the token-signing or the session key leaves enrolments alone. Rotating the TOTP key itself is a
reseal (auth/totp_reseal.py), not a new enrolment."""

import io
from datetime import UTC, datetime

import pyotp
import qrcode
import qrcode.image.svg
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from gateway.auth.models import User

ISSUER = "OpsDesk"
# A code is accepted in the 30-second step before and after the current one (phones' clocks drift).
VALID_WINDOW = 1


class SecretBox:
    """Seals with the first of the TOTP keys, opens with any of them (the others are older keys kept while a
    rotation reseals)."""

    def __init__(self, keys: list[bytes]) -> None:
        self.sealing = Fernet(keys[0])
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def seal(self, secret: str) -> str:
        return self.sealing.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:  # sealed under a key no longer held: the user must enrol again
            return None


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The enrolment QR code as an SVG document, for authenticator apps to scan from the screen."""
    buffer = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue().decode()


def accept_code(user: User, secret: str, code: str, now: datetime | None = None) -> bool:
    """True once per valid code: the step it belongs to is remembered, so a code seen on the wire or over
    a shoulder cannot be replayed while it is still valid."""
    totp = pyotp.TOTP(secret)
    moment = now or datetime.now(UTC)
    code = code.strip().replace(" ", "")
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        step = totp.timecode(moment) + offset
        if code == totp.generate_otp(step):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False
            user.totp_last_step = step
            return True
    return False
