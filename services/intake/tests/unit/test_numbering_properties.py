"""Property test for ticket numbers (SPEC §4): human-readable, unique, and sorting them as text sorts
them by day and then by their order within the day."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from intake.tickets.numbering import format_ticket_number

issued = st.tuples(st.dates(min_value=date(2026, 1, 1), max_value=date(2099, 12, 31)), st.integers(1, 9999))


@given(st.lists(issued, unique=True, max_size=50))
def test_numbers_are_unique_and_sort_by_day_then_sequence(pairs: list[tuple[date, int]]) -> None:
    numbers = [format_ticket_number(day, seq) for day, seq in pairs]
    assert len(set(numbers)) == len(numbers)
    assert sorted(numbers) == [format_ticket_number(d, s) for d, s in sorted(pairs)]
    assert all(len(n) == 13 and n[8] == "-" for n in numbers)
