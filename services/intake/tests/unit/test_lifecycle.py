"""The ticket life cycle (SPEC §4) as a table: every action from every status, legal or refused.

Written out in full on purpose, apart from `lifecycle.TRANSITIONS`: a change to the life cycle must change
both, so it cannot happen by accident."""

import pytest

from intake.tickets import lifecycle
from opsdesk_shared.errors import Conflict

STATUSES = ["new", "assigned", "in_progress", "on_site", "pending", "resolved", "closed", "reopened", "cancelled"]

# action -> {from status: to status}; a status not listed refuses the action (409).
EXPECTED: dict[str, dict[str, str]] = {
    "assign": {s: "assigned" for s in ["new", "reopened", "assigned", "in_progress", "on_site"]},
    "start": {"assigned": "in_progress"},
    "arrive": {"assigned": "on_site", "in_progress": "on_site"},
    "unassign": {"assigned": "new", "in_progress": "new", "on_site": "new"},
    "pend": {s: "pending" for s in ["new", "assigned", "in_progress", "on_site", "reopened"]},
    "resume": {"pending": "<before pending>"},
    "resolve": {s: "resolved" for s in ["new", "assigned", "in_progress", "on_site", "reopened"]},
    "confirm": {"resolved": "closed"},
    "auto_close": {"resolved": "closed"},
    "reopen": {"resolved": "reopened", "closed": "reopened"},
    "cancel": {"new": "cancelled", "assigned": "cancelled", "reopened": "cancelled"},
}


def test_the_table_names_every_action_and_status() -> None:
    assert set(EXPECTED) == set(lifecycle.TRANSITIONS)
    assert set(STATUSES) == lifecycle.STATUSES


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("status", STATUSES)
def test_every_action_from_every_status(status: str, action: str) -> None:
    expected = EXPECTED[action].get(status)
    assert lifecycle.is_legal(status, action) is (expected is not None)
    if expected is None:
        with pytest.raises(Conflict) as refused:
            lifecycle.target(status, action)
        assert refused.value.extensions["current_status"] == status
        assert refused.value.extensions["requested_action"] == action
    elif expected == "<before pending>":
        assert lifecycle.target(status, action, before_pending="on_site") == "on_site"
        assert lifecycle.target(status, action, before_pending=None) == "new"  # nothing recorded: back to the queue
    else:
        assert lifecycle.target(status, action) == expected


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_a_finished_ticket_only_reopens_if_it_was_closed(status: str) -> None:
    actions = {a for a in EXPECTED if lifecycle.is_legal(status, a)}
    assert actions == ({"reopen"} if status == "closed" else set())
