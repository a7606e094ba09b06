"""The life cycle of an improvement measure (改进措施, SPEC §2a), as a table: which step leads from which state
to which, who may take it, and what it must carry. Pure: no database, no clock; table-tested in tests/unit.

    proposed ──accept──▶ accepted ──report──▶ reported ──plan──▶ planned ──complete──▶ done ──verify──▶ verified
        └─────reject──▶ rejected                          (plan again: a new date)

The vendor's project manager reviews (accepts or rejects, a rejection says why) and reports what was accepted
to the bureau's project lead, then records the date agreed; the vendor's staff record it done; the bureau's
supervisor verifies it.
"""

from dataclasses import dataclass
from enum import StrEnum

from opsdesk_shared.auth import Role


class MeasureState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    REPORTED = "reported"  # to the bureau's project lead
    PLANNED = "planned"  # a date agreed
    DONE = "done"
    VERIFIED = "verified"


class MeasureAction(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    REPORT = "report"
    PLAN = "plan"
    COMPLETE = "complete"
    VERIFY = "verify"


# Who proposes: the vendor's people who find things on rounds and in faults.
PROPOSERS = frozenset({Role.ENGINEER, Role.DISPATCHER, Role.PROJECT_MANAGER})


@dataclass(frozen=True)
class Step:
    sources: frozenset[MeasureState]
    target: MeasureState
    roles: frozenset[Role]
    needs_comment: bool = False
    needs_date: bool = False


# A review is the project manager's word to the bureau (accepted) or to the proposer (rejected): both say why.
STEPS: dict[MeasureAction, Step] = {
    MeasureAction.ACCEPT: Step(
        frozenset({MeasureState.PROPOSED}), MeasureState.ACCEPTED, frozenset({Role.PROJECT_MANAGER}), needs_comment=True
    ),  # fmt: skip
    MeasureAction.REJECT: Step(
        frozenset({MeasureState.PROPOSED}), MeasureState.REJECTED, frozenset({Role.PROJECT_MANAGER}), needs_comment=True
    ),  # fmt: skip
    MeasureAction.REPORT: Step(
        frozenset({MeasureState.ACCEPTED}), MeasureState.REPORTED, frozenset({Role.PROJECT_MANAGER})
    ),  # fmt: skip
    # Planned again while planned: the date moved, and the history keeps both.
    MeasureAction.PLAN: Step(
        frozenset({MeasureState.REPORTED, MeasureState.PLANNED}),
        MeasureState.PLANNED,
        frozenset({Role.PROJECT_MANAGER}),
        needs_date=True,
    ),  # fmt: skip
    MeasureAction.COMPLETE: Step(
        frozenset({MeasureState.PLANNED}),
        MeasureState.DONE,
        frozenset({Role.PROJECT_MANAGER, Role.ENGINEER, Role.DISPATCHER}),
    ),  # fmt: skip
    # The bureau checks the vendor's work: its supervisor verifies, not the vendor itself.
    MeasureAction.VERIFY: Step(frozenset({MeasureState.DONE}), MeasureState.VERIFIED, frozenset({Role.SUPERVISOR})),
}

REVIEW_OUTCOMES = {MeasureAction.ACCEPT: "accepted", MeasureAction.REJECT: "rejected"}


class StepRefused(Exception):
    """Why a step may not be taken; `rule` names the broken rule, `field` the input at fault."""

    def __init__(self, detail: str, *, rule: str, field: str, kind: str) -> None:
        super().__init__(detail)
        self.detail, self.rule, self.field, self.kind = detail, rule, field, kind


def check_step(
    action: MeasureAction, state: MeasureState, roles: frozenset[str], *, has_comment: bool, has_date: bool
) -> MeasureState:
    """The state the step leads to, or StepRefused: the role first (403), then the state (409), then what the
    step must carry (422)."""
    step = STEPS[action]
    if not roles & step.roles:
        allowed = ", ".join(sorted(step.roles))
        raise StepRefused(f"action: only {allowed} may {action} a measure", rule="measure-step-role",
                          field="action", kind="forbidden")  # fmt: skip
    if state not in step.sources:
        sources = ", ".join(sorted(step.sources))
        raise StepRefused(
            f"action: {action} is a step from {sources}, and this measure is {state}",
            rule="measure-lifecycle",
            field="action",
            kind="conflict",
        )
    if step.needs_comment and not has_comment:
        raise StepRefused(f"comment: {action} needs a comment saying why", rule="measure-comment-required",
                          field="comment", kind="invalid")  # fmt: skip
    if step.needs_date and not has_date:
        raise StepRefused("planned_on: a planned measure has the date agreed with the bureau",
                          rule="measure-date-required", field="planned_on", kind="invalid")  # fmt: skip
    return step.target


def actions_open(state: MeasureState, roles: frozenset[str]) -> list[MeasureAction]:
    """The steps these roles may take from this state (the console's buttons)."""
    return [a for a, s in STEPS.items() if state in s.sources and roles & s.roles]
