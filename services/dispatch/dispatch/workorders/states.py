"""The work order's life: each action is allowed from some statuses and leads to one.

assigned → accepted → en_route → on_site → resolved; `reassign` puts it back to assigned with another
engineer; `cancel` ends it; the engineer may `decline` a job not yet started (it ends `declined`, the
ticket back in the queue). Resolving before arrival is a remote resolution and must say so.
"""

from opsdesk_shared.errors import Conflict

ACTIVE = ("assigned", "accepted", "en_route", "on_site")

TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({"assigned"}), "accepted"),
    "depart": (frozenset({"accepted"}), "en_route"),
    "arrive": (frozenset({"accepted", "en_route"}), "on_site"),
    "resolve": (frozenset({"accepted", "en_route", "on_site"}), "resolved"),
    "reassign": (frozenset(ACTIVE), "assigned"),
    "cancel": (frozenset(ACTIVE), "cancelled"),
    "decline": (frozenset({"assigned", "accepted"}), "declined"),
}


def next_status(current: str, action: str) -> str:
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        raise Conflict(
            f"cannot {action} a work order that is {current}",
            current_status=current,
            requested_action=action,
            allowed_from=sorted(allowed),
            code="work_order.illegal_transition",
        )
    return target
