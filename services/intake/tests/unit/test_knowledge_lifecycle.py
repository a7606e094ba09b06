"""An article's life cycle as a table: every action from every state, for each kind of person — legal,
refused for the state (409) or refused for the role (403). Written out apart from `lifecycle.MOVES` on
purpose: changing the life cycle means changing both."""

import uuid

import pytest

from intake.knowledge import lifecycle
from opsdesk_shared.auth import Principal
from opsdesk_shared.errors import Conflict, Forbidden

STATES = ["draft", "in_review", "published", "retired"]
ACTIONS = ["submit", "publish", "return", "retire", "reopen"]
WRITER = "hotline_operator"  # engineers the same
REVIEWER = "dispatcher"  # the project manager's stand-in (admins too)

# (state, action) -> (new state, who may)
EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
    ("draft", "submit"): ("in_review", "writer"),
    ("in_review", "publish"): ("published", "reviewer"),
    ("in_review", "return"): ("draft", "reviewer"),
    ("published", "retire"): ("retired", "reviewer"),
    ("published", "reopen"): ("draft", "reviewer"),
    ("retired", "reopen"): ("draft", "reviewer"),
}


def person(*roles: str) -> Principal:
    return Principal(subject=uuid.uuid4(), username="x", roles=frozenset(roles), unit_id=None)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "role", ["hotline_operator", "engineer", "dispatcher", "admin", "project_manager", "requester", "supervisor"]
)
def test_every_action_from_every_state_for_every_role(state: str, action: str, role: str) -> None:
    expected = EXPECTED.get((state, action))
    who = person(role)
    if expected is None:
        with pytest.raises(Conflict) as refused:
            lifecycle.move(state, action, who)
        assert refused.value.code == "knowledge.transition_invalid"
        return
    to, needs = expected
    allowed = role in {"dispatcher", "admin", "project_manager"} or (
        needs == "writer" and role in {"hotline_operator", "engineer"}
    )
    if not allowed:
        with pytest.raises(Forbidden):
            lifecycle.move(state, action, who)
        return
    assert lifecycle.move(state, action, who).to == to


def test_the_table_and_the_module_name_the_same_moves() -> None:
    assert {(s.value, a.value) for s, a in lifecycle.MOVES} == set(EXPECTED)


@pytest.mark.parametrize(
    ("audience", "state", "role", "reads"),
    [
        ("published", "published", "requester", True),
        ("published", "published", "supervisor", True),
        ("internal", "published", "requester", False),
        ("internal", "published", "supervisor", False),
        ("internal", "published", "engineer", True),
        ("published", "draft", "requester", False),
        ("published", "retired", "requester", False),
        ("internal", "draft", "hotline_operator", True),
    ],
)
def test_who_reads_what(audience: str, state: str, role: str, reads: bool) -> None:
    assert lifecycle.may_read(audience, state, person(role)) is reads


@pytest.mark.parametrize(
    ("state", "role", "edits"),
    [
        ("draft", "engineer", True),
        ("draft", "requester", False),
        ("in_review", "hotline_operator", False),
        ("in_review", "dispatcher", True),
        ("published", "engineer", False),
        ("published", "admin", True),
    ],
)
def test_who_edits_in_which_state(state: str, role: str, edits: bool) -> None:
    assert lifecycle.may_edit(state, person(role)) is edits
