"""The priority matrix (impact × urgency), every cell."""

import pytest

from intake.tickets.priority import LEVELS, MATRIX, from_matrix


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [("high", "high", "P1"), ("high", "medium", "P2"), ("medium", "high", "P2"), ("medium", "medium", "P3")]
    + [("high", "low", "P3"), ("low", "high", "P3"), ("medium", "low", "P4"), ("low", "low", "P4")],
)
def test_the_matrix(impact: str, urgency: str, expected: str) -> None:
    assert from_matrix(impact, urgency) == expected
    assert set(MATRIX) == {(i, u) for i in LEVELS for u in LEVELS}
