"""The work order's state machine, every status against every action: the status it leads to, or a 409
naming the current status, the action and the statuses it is allowed from. No servers."""

import itertools

import pytest

from dispatch.workorders import states
from opsdesk_shared.errors import Conflict

pytestmark = pytest.mark.unit

STATUSES = ("assigned", "accepted", "en_route", "on_site", "resolved", "cancelled", "declined")

# (status, action) -> the next status; every pair not listed is refused.
ALLOWED = {
    ("assigned", "accept"): "accepted",
    ("assigned", "reassign"): "assigned",
    ("assigned", "cancel"): "cancelled",
    ("assigned", "decline"): "declined",
    ("accepted", "depart"): "en_route",
    ("accepted", "arrive"): "on_site",  # straight there, without announcing the departure
    ("accepted", "resolve"): "resolved",  # remotely
    ("accepted", "reassign"): "assigned",
    ("accepted", "cancel"): "cancelled",
    ("accepted", "decline"): "declined",
    ("en_route", "arrive"): "on_site",
    ("en_route", "resolve"): "resolved",  # remotely, on the way
    ("en_route", "reassign"): "assigned",
    ("en_route", "cancel"): "cancelled",
    ("on_site", "resolve"): "resolved",
    ("on_site", "reassign"): "assigned",
    ("on_site", "cancel"): "cancelled",
}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(STATUSES, states.TRANSITIONS)))
def test_each_action_from_each_status(status: str, action: str) -> None:
    if (status, action) in ALLOWED:
        assert states.next_status(status, action) == ALLOWED[status, action]
        return
    with pytest.raises(Conflict) as refused:
        states.next_status(status, action)
    allowed_from = sorted(s for s, a in ALLOWED if a == action)
    assert refused.value.extensions == {
        "current_status": status,
        "requested_action": action,
        "allowed_from": allowed_from,
    }


def test_the_finished_statuses_allow_nothing_and_the_active_ones_are_exactly_the_unfinished() -> None:
    assert set(states.ACTIVE) == {s for s, _ in ALLOWED}
    assert not {s for s, _ in ALLOWED} & {"resolved", "cancelled", "declined"}
