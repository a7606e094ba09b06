"""An article's states and who may move it: writers (operators, dispatchers, engineers) write drafts and
send them for review; the project manager reviews (publishes or returns them) and retires what is out of
date; admins and dispatchers may review too (a desk without a project manager signed in still publishes)."""

from dataclasses import dataclass
from enum import StrEnum

from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.errors import Conflict, Forbidden

PROJECT_MANAGER = Role.PROJECT_MANAGER
WRITERS = frozenset({Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.ADMIN, PROJECT_MANAGER})
REVIEWERS = frozenset({Role.ADMIN, Role.DISPATCHER, PROJECT_MANAGER})
# Internal articles are for the vendor's own people: the writers.
VENDOR_STAFF = WRITERS


class State(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETIRED = "retired"


class Action(StrEnum):
    SUBMIT = "submit"
    PUBLISH = "publish"
    RETURN = "return"
    RETIRE = "retire"
    REOPEN = "reopen"


@dataclass(frozen=True)
class Move:
    to: State
    by: frozenset[str]
    recorded_as: str


MOVES: dict[tuple[State, Action], Move] = {
    (State.DRAFT, Action.SUBMIT): Move(State.IN_REVIEW, WRITERS, "submitted"),
    (State.IN_REVIEW, Action.PUBLISH): Move(State.PUBLISHED, REVIEWERS, "published"),
    (State.IN_REVIEW, Action.RETURN): Move(State.DRAFT, REVIEWERS, "returned"),
    (State.PUBLISHED, Action.RETIRE): Move(State.RETIRED, REVIEWERS, "retired"),
    (State.RETIRED, Action.REOPEN): Move(State.DRAFT, REVIEWERS, "reopened"),
    (State.PUBLISHED, Action.REOPEN): Move(State.DRAFT, REVIEWERS, "reopened"),
}


def move(state: str, action: str, principal: Principal) -> Move:
    """The move `action` makes from `state` for this principal, or the problem saying why not."""
    step = MOVES.get((State(state), Action(action)))
    if step is None:
        raise Conflict(
            f"an article that is {state} cannot be sent to {action}",
            field="action",
            code="knowledge.transition_invalid",
            params={"state": state, "action": action},
        )
    if not principal.has_any(*step.by):
        raise Forbidden(
            f"only {', '.join(sorted(step.by))} may {action} an article", code="knowledge.transition_forbidden"
        )
    return step


def may_edit(state: str, principal: Principal) -> bool:
    """Drafts are anyone's among the writers; an article under review, published or retired changes only by
    a reviewer's hand (a writer reopens it as a draft through a reviewer)."""
    if state == State.DRAFT:
        return principal.has_any(*WRITERS)
    return principal.has_any(*REVIEWERS)


def may_read(audience: str, state: str, principal: Principal) -> bool:
    """Published articles for the public audience are everyone's; the rest are the vendor's staff's."""
    if principal.has_any(*VENDOR_STAFF):
        return True
    return audience == "published" and state == State.PUBLISHED
