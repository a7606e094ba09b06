"""The second factor (TOTP, RFC 6238) that MLPS level 3 asks of the administrators, the auditor and the
supervisors: enrolment, checking a code at sign-in, refusing a code used twice.

Secrets are stored encrypted (Fernet) under a key derived from the gateway's JWT signing key, which lives
outside the database: a dump of the database alone yields no usable secret. Rotating the signing key
therefore means enrolling again."""

import base64
import io
from datetime import UTC, datetime

import pyotp
import qrcode
import qrcode.image.svg
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gateway.models import User

ISSUER = "OpsDesk"
# A code is accepted in the 30-second step before and after the current one (phones' clocks drift).
VALID_WINDOW = 1


class SecretBox:
    def __init__(self, key_material: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"opsdesk-totp-secrets").derive(
            key_material.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:  # sealed under another signing key: the user must enrol again
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
