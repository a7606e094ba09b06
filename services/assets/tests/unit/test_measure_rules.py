"""The life cycle of an improvement measure, table by table: every step from every state, by every role."""

import pytest

from assets.measures.rules import MeasureAction, MeasureState, StepRefused, actions_open, check_step

PM = frozenset({"project_manager"})
ENGINEER = frozenset({"engineer"})
SUPERVISOR = frozenset({"supervisor"})

S, A = MeasureState, MeasureAction

# (action, from state, roles, comment given, date given) -> the state reached, or the rule broken.
CASES = [
    (A.ACCEPT, S.PROPOSED, PM, True, False, S.ACCEPTED),
    (A.REJECT, S.PROPOSED, PM, True, False, S.REJECTED),
    (A.REPORT, S.ACCEPTED, PM, False, False, S.REPORTED),
    (A.PLAN, S.REPORTED, PM, False, True, S.PLANNED),
    (A.PLAN, S.PLANNED, PM, False, True, S.PLANNED),  # the date moved
    (A.COMPLETE, S.PLANNED, ENGINEER, False, False, S.DONE),
    (A.COMPLETE, S.PLANNED, PM, False, False, S.DONE),
    (A.COMPLETE, S.PLANNED, frozenset({"dispatcher"}), False, False, S.DONE),
    (A.VERIFY, S.DONE, SUPERVISOR, False, False, S.VERIFIED),
    # The review is the project manager's, and says why.
    (A.ACCEPT, S.PROPOSED, frozenset({"dispatcher"}), True, False, "measure-step-role"),
    (A.ACCEPT, S.PROPOSED, SUPERVISOR, True, False, "measure-step-role"),
    (A.ACCEPT, S.PROPOSED, frozenset({"admin"}), True, False, "measure-step-role"),
    (A.REJECT, S.PROPOSED, PM, False, False, "measure-comment-required"),
    (A.ACCEPT, S.PROPOSED, PM, False, False, "measure-comment-required"),
    # Out of turn.
    (A.REPORT, S.PROPOSED, PM, False, False, "measure-lifecycle"),
    (A.ACCEPT, S.ACCEPTED, PM, True, False, "measure-lifecycle"),  # reviewed once
    (A.ACCEPT, S.REJECTED, PM, True, False, "measure-lifecycle"),
    (A.REPORT, S.REJECTED, PM, False, False, "measure-lifecycle"),
    (A.PLAN, S.ACCEPTED, PM, False, True, "measure-lifecycle"),  # reported to the bureau first
    (A.COMPLETE, S.REPORTED, ENGINEER, False, False, "measure-lifecycle"),
    (A.VERIFY, S.PLANNED, SUPERVISOR, False, False, "measure-lifecycle"),
    (A.VERIFY, S.VERIFIED, SUPERVISOR, False, False, "measure-lifecycle"),
    (A.COMPLETE, S.DONE, ENGINEER, False, False, "measure-lifecycle"),
    # Planned needs its date; the vendor does not verify its own work.
    (A.PLAN, S.REPORTED, PM, False, False, "measure-date-required"),
    (A.VERIFY, S.DONE, PM, False, False, "measure-step-role"),
    (A.VERIFY, S.DONE, ENGINEER, False, False, "measure-step-role"),
    (A.REPORT, S.ACCEPTED, ENGINEER, False, False, "measure-step-role"),
]


@pytest.mark.parametrize(("action", "state", "roles", "comment", "date", "expected"), CASES)
def test_a_step_leads_where_the_table_says_or_names_the_rule_it_breaks(
    action: MeasureAction, state: MeasureState, roles: frozenset[str], comment: bool, date: bool, expected: str
) -> None:
    if isinstance(expected, MeasureState):
        assert check_step(action, state, roles, has_comment=comment, has_date=date) == expected
    else:
        with pytest.raises(StepRefused) as refused:
            check_step(action, state, roles, has_comment=comment, has_date=date)
        assert refused.value.rule == expected


def test_the_role_is_judged_before_the_state() -> None:
    """An engineer asking to accept a verified measure hears that accepting is not theirs, not where it is."""
    with pytest.raises(StepRefused) as refused:
        check_step(A.ACCEPT, S.VERIFIED, ENGINEER, has_comment=True, has_date=False)
    assert refused.value.rule == "measure-step-role"


@pytest.mark.parametrize(
    ("state", "roles", "expected"),
    [
        (S.PROPOSED, PM, [A.ACCEPT, A.REJECT]),
        (S.PROPOSED, ENGINEER, []),
        (S.ACCEPTED, PM, [A.REPORT]),
        (S.PLANNED, PM, [A.PLAN, A.COMPLETE]),
        (S.PLANNED, ENGINEER, [A.COMPLETE]),
        (S.DONE, SUPERVISOR, [A.VERIFY]),
        (S.VERIFIED, PM | SUPERVISOR, []),
        (S.REJECTED, PM, []),
    ],
)
def test_the_steps_open_to_a_role(state: MeasureState, roles: frozenset[str], expected: list[MeasureAction]) -> None:
    assert actions_open(state, roles) == expected
