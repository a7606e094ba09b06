"""The stock arithmetic and the reconciliation of a resolved work order, as pure functions (table-tested in
tests/unit/test_spares_rules.py): what may leave a store, when a part counts as low, and what a work order's
parts used mean against what was issued to it."""

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class ReconciliationOutcome(StrEnum):
    MATCHED = "matched"  # used as issued
    RETURNED = "returned"  # issued but (partly) unused: the rest went back to stock
    USED_NOT_ISSUED = "used_not_issued"  # flagged: used more than stock gave out
    UNKNOWN_PART = "unknown_part"  # flagged: a part number the catalogue does not have
    UNCATALOGUED = "uncatalogued"  # no part number: bought on the spot, not stock's business


FLAGGED = frozenset({ReconciliationOutcome.USED_NOT_ISSUED, ReconciliationOutcome.UNKNOWN_PART})


class NotEnoughStock(Exception):
    def __init__(self, on_hand: int, wanted: int) -> None:
        super().__init__(f"{wanted} wanted, {on_hand} on hand")
        self.on_hand, self.wanted = on_hand, wanted


def after_issue(on_hand: int, quantity: int) -> int:
    """What stays in the store after issuing `quantity`; never below zero."""
    if quantity <= 0:
        raise ValueError("an issue takes at least one")
    if quantity > on_hand:
        raise NotEnoughStock(on_hand, quantity)
    return on_hand - quantity


def is_low(total_on_hand: int, minimum: int) -> bool:
    """Below the minimum; a minimum of 0 means the part is not stocked on purpose and is never low."""
    return total_on_hand < minimum


def crossed_below(was_low: bool, total_on_hand: int, minimum: int) -> bool:
    """A crossing is announced once: only when the part was not low already."""
    return not was_low and is_low(total_on_hand, minimum)


@dataclass(frozen=True)
class Used:
    """A part a resolved work order says it used."""

    part_number: str | None
    name: str
    quantity: int


@dataclass(frozen=True)
class IssueLot:
    """What one issue to the work order gave out, from which store (a return goes back where it came from)."""

    movement_id: UUID
    part_number: str
    store_id: UUID
    quantity: int


@dataclass(frozen=True)
class Return:
    store_id: UUID
    quantity: int
    lot: UUID


@dataclass(frozen=True)
class Line:
    part_number: str | None
    name: str
    used: int
    issued: int
    outcome: ReconciliationOutcome
    unissued: int = 0  # used beyond what was issued (flagged)
    returns: tuple[Return, ...] = ()

    @property
    def returned(self) -> int:
        return sum(r.quantity for r in self.returns)

    @property
    def flagged(self) -> bool:
        return self.outcome in FLAGGED


def reconcile(used: list[Used], lots: list[IssueLot], catalogue: dict[str, str]) -> list[Line]:
    """One line per part number used or issued (and one per part without a number). `catalogue` maps the
    known part numbers to their names. Unused issues go back to their stores, the latest issue first."""
    used_by_number: dict[str, int] = defaultdict(int)
    names: dict[str, str] = {}
    lines: list[Line] = []
    for u in used:
        if u.part_number is None:
            lines.append(Line(None, u.name, u.quantity, 0, ReconciliationOutcome.UNCATALOGUED))
            continue
        used_by_number[u.part_number] += u.quantity
        names.setdefault(u.part_number, u.name)
    lots_by_number: dict[str, list[IssueLot]] = defaultdict(list)
    for lot in lots:
        lots_by_number[lot.part_number].append(lot)
    for number in sorted(set(used_by_number) | set(lots_by_number)):
        number_lots = lots_by_number.get(number, [])
        issued = sum(lot.quantity for lot in number_lots)
        used_qty = used_by_number.get(number, 0)
        name = catalogue.get(number) or names.get(number, number)
        if number not in catalogue:
            lines.append(Line(number, name, used_qty, issued, ReconciliationOutcome.UNKNOWN_PART, unissued=used_qty))
        elif used_qty > issued:
            lines.append(
                Line(number, name, used_qty, issued, ReconciliationOutcome.USED_NOT_ISSUED, unissued=used_qty - issued)
            )
        elif used_qty < issued:
            returns = _returns(number_lots, issued - used_qty)
            lines.append(Line(number, name, used_qty, issued, ReconciliationOutcome.RETURNED, returns=returns))
        else:
            lines.append(Line(number, name, used_qty, issued, ReconciliationOutcome.MATCHED))
    return lines


def _returns(lots: list[IssueLot], surplus: int) -> tuple[Return, ...]:
    out = []
    for lot in reversed(lots):
        if surplus == 0:
            break
        back = min(lot.quantity, surplus)
        out.append(Return(lot.store_id, back, lot.movement_id))
        surplus -= back
    return tuple(out)
