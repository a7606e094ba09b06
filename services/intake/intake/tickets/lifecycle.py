"""The ticket's life cycle (SPEC §4), in one table: which action leads from which statuses to which.

new → assigned → in_progress → on_site → resolved → closed; `pending` from any open status and back to
where it was; `cancelled` from new (and, for staff, before anyone is on site); resolved or closed →
`reopened`, which dispatch assigns again. Every change goes through `transition`.
"""

from opsdesk_shared.errors import Conflict

OPEN = frozenset({"new", "assigned", "in_progress", "on_site", "reopened"})
STATUSES = OPEN | {"pending", "resolved", "closed", "cancelled"}

# action -> (allowed from, to); `None` as target means "the status it had before pending".
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "assign": (frozenset({"new", "reopened", "assigned", "in_progress", "on_site"}), "assigned"),
    "start": (frozenset({"assigned"}), "in_progress"),
    "arrive": (frozenset({"assigned", "in_progress"}), "on_site"),
    "unassign": (frozenset({"assigned", "in_progress", "on_site"}), "new"),
    "pend": (OPEN, "pending"),
    "resume": (frozenset({"pending"}), None),
    "resolve": (OPEN, "resolved"),
    "confirm": (frozenset({"resolved"}), "closed"),
    "auto_close": (frozenset({"resolved"}), "closed"),
    "reopen": (frozenset({"resolved", "closed"}), "reopened"),
    "cancel": (frozenset({"new", "assigned", "reopened"}), "cancelled"),
}


def target(current: str, action: str, before_pending: str | None = None) -> str:
    """The status `action` leads to from `current`, or 409 naming both."""
    allowed, to = TRANSITIONS[action]
    if current not in allowed:
        raise Conflict(
            f"illegal transition: '{action}' is not allowed while the ticket is {current}",
            current_status=current,
            requested_action=action,
            allowed_from=sorted(allowed),
            code="ticket.illegal_transition",
        )
    return to or before_pending or "new"


def is_legal(current: str, action: str) -> bool:
    return current in TRANSITIONS[action][0]
