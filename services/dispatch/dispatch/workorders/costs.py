"""Who pays for a repair (SPEC §2): the vendor up to and including 10,000 CNY, the bureau above."""

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

VENDOR_LIMIT_CNY = Decimal("10000.00")
CENT = Decimal("0.01")


def total_cost(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    return sum((Decimal(quantity) * unit_cost for quantity, unit_cost in lines), Decimal("0")).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def borne_by(total: Decimal) -> str:
    return "vendor" if total <= VENDOR_LIMIT_CNY else "bureau"
