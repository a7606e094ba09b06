"""Priority from impact × urgency (ITIL's matrix); an operator may override it, saying why."""

LEVELS = ("high", "medium", "low")
# Without impact and urgency a ticket is P3: the middle of the matrix, as ITIL's "medium × medium".
DEFAULT = "P3"

MATRIX = {
    ("high", "high"): "P1",
    ("high", "medium"): "P2",
    ("medium", "high"): "P2",
    ("high", "low"): "P3",
    ("medium", "medium"): "P3",
    ("low", "high"): "P3",
    ("medium", "low"): "P4",
    ("low", "medium"): "P4",
    ("low", "low"): "P4",
}


def from_matrix(impact: str, urgency: str) -> str:
    return MATRIX[(impact, urgency)]
