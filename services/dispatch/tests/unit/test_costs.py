"""Who pays for a repair (SPEC §2): the vendor up to and including 10,000 CNY, the bureau above; the
total is rounded to the cent. No servers."""

from decimal import Decimal

import pytest

from dispatch.workorders import costs

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("lines", "total", "payer"),
    [
        ([], "0.00", "vendor"),
        ([(1, "10000.00")], "10000.00", "vendor"),
        ([(1, "10000.01")], "10000.01", "bureau"),
        ([(4, "2500.00")], "10000.00", "vendor"),
        ([(4, "2500.00"), (1, "0.01")], "10000.01", "bureau"),
        ([(3, "0.335")], "1.01", "vendor"),  # 1.005 rounds half up
    ],
)
def test_the_total_and_who_bears_it(lines: list[tuple[int, str]], total: str, payer: str) -> None:
    summed = costs.total_cost((quantity, Decimal(unit_cost)) for quantity, unit_cost in lines)
    assert summed == Decimal(total)
    assert costs.borne_by(summed) == payer
