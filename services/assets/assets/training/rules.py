"""The pure rules of training sessions (培训): who may sign in when, what a material may be. No database, no
clock: table-tested in tests/unit."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Attendees arrive before the start: the sign-in page (and the QR code shown in the room) opens this early.
SIGN_IN_OPENS_BEFORE = timedelta(hours=1)
# Materials: documents and pictures the bureau can open, nothing executable, at most this big each.
MATERIAL_MAX_BYTES = 10 * 1024 * 1024  # as ticket attachments: the gateway takes bodies up to 12 MiB
MATERIAL_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}


class SessionState(StrEnum):
    SCHEDULED = "scheduled"  # before its sign-in opens
    OPEN = "open"  # sign-in open: from an hour before the start until the end
    ENDED = "ended"
    CANCELLED = "cancelled"


class SignInRefusal(StrEnum):
    CANCELLED = "training.cancelled"
    NOT_OPEN = "training.sign_in_not_open"
    ENDED = "training.ended"


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime
    cancelled: bool = False


def state(window: Window, at: datetime) -> SessionState:
    if window.cancelled:
        return SessionState.CANCELLED
    if at >= window.ends_at:
        return SessionState.ENDED
    if at >= window.starts_at - SIGN_IN_OPENS_BEFORE:
        return SessionState.OPEN
    return SessionState.SCHEDULED


def sign_in_refusal(window: Window, at: datetime) -> SignInRefusal | None:
    """Why a sign-in at `at` is refused, or None when it is taken. Signing in again is not refused here: the
    service answers it with the first sign-in (twice = once)."""
    current = state(window, at)
    if current == SessionState.CANCELLED:
        return SignInRefusal.CANCELLED
    if current == SessionState.ENDED:
        return SignInRefusal.ENDED
    if current == SessionState.SCHEDULED:
        return SignInRefusal.NOT_OPEN
    return None


def may_give_feedback(window: Window, at: datetime, signed_in: bool) -> bool:
    """Attendees rate a session once it has begun (during or after it), never a cancelled one."""
    return signed_in and not window.cancelled and at >= window.starts_at


def material_type(filename: str) -> str | None:
    """The content type a material of this name is stored and served as, or None for a kind not taken."""
    dot = filename.rfind(".")
    return MATERIAL_TYPES.get(filename[dot:].lower()) if dot >= 0 else None
