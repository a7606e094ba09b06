"""The spare parts' pure rules, table by table: what an issue leaves, when a part is low and when that is
announced, and what a resolved work order's parts mean against what was issued to it."""

import uuid

import pytest

from assets.spares.rules import (
    IssueLot,
    NotEnoughStock,
    ReconciliationOutcome,
    Used,
    after_issue,
    crossed_below,
    is_low,
    reconcile,
)

Out = ReconciliationOutcome
STORE_A, STORE_B = uuid.uuid4(), uuid.uuid4()
CATALOGUE = {"HD-600G": "600G SAS硬盘", "RIBBON-YMC": "制证机彩色色带", "PSU-550": "550W电源"}


@pytest.mark.parametrize(
    ("on_hand", "quantity", "left"),
    [(5, 1, 4), (5, 5, 0), (1, 1, 0), (100_000, 99_999, 1)],
)
def test_an_issue_leaves_what_was_not_taken(on_hand: int, quantity: int, left: int) -> None:
    assert after_issue(on_hand, quantity) == left


@pytest.mark.parametrize(("on_hand", "quantity"), [(0, 1), (4, 5), (1, 100)])
def test_an_issue_beyond_the_stock_is_refused(on_hand: int, quantity: int) -> None:
    with pytest.raises(NotEnoughStock) as refused:
        after_issue(on_hand, quantity)
    assert (refused.value.on_hand, refused.value.wanted) == (on_hand, quantity)


@pytest.mark.parametrize("quantity", [0, -1])
def test_an_issue_takes_at_least_one(quantity: int) -> None:
    with pytest.raises(ValueError):
        after_issue(5, quantity)


@pytest.mark.parametrize(
    ("was_low", "total", "minimum", "low", "announce"),
    [
        (False, 3, 2, False, False),  # above
        (False, 2, 2, False, False),  # at the minimum is enough
        (False, 1, 2, True, True),  # crossed: announced
        (True, 0, 2, True, False),  # still low: announced once only
        (True, 2, 2, False, False),  # refilled: no announcement, low clears
        (False, 0, 0, False, False),  # minimum 0: never low
    ],
)
def test_low_and_its_crossing(was_low: bool, total: int, minimum: int, low: bool, announce: bool) -> None:
    assert is_low(total, minimum) is low
    assert crossed_below(was_low, total, minimum) is announce


def lot(number: str, quantity: int, store: uuid.UUID = STORE_A) -> IssueLot:
    return IssueLot(movement_id=uuid.uuid4(), part_number=number, store_id=store, quantity=quantity)


@pytest.mark.parametrize(
    ("used", "issued", "expected"),
    [
        # (part number, used, issued, outcome, unissued, returned)
        ([("HD-600G", 1)], [("HD-600G", 1)], [("HD-600G", 1, 1, Out.MATCHED, 0, 0)]),
        ([("HD-600G", 1)], [], [("HD-600G", 1, 0, Out.USED_NOT_ISSUED, 1, 0)]),
        ([("HD-600G", 3)], [("HD-600G", 2)], [("HD-600G", 3, 2, Out.USED_NOT_ISSUED, 1, 0)]),
        ([], [("HD-600G", 2)], [("HD-600G", 0, 2, Out.RETURNED, 0, 2)]),
        ([("HD-600G", 1)], [("HD-600G", 2), ("HD-600G", 1)], [("HD-600G", 1, 3, Out.RETURNED, 0, 2)]),
        ([("NOPE-1", 1)], [], [("NOPE-1", 1, 0, Out.UNKNOWN_PART, 1, 0)]),
        # the same part on two lines of the work order counts once, summed
        ([("RIBBON-YMC", 1), ("RIBBON-YMC", 1)], [("RIBBON-YMC", 2)], [("RIBBON-YMC", 2, 2, Out.MATCHED, 0, 0)]),
        # a part used as issued and another used but never issued: the e2e test's case
        (
            [("HD-600G", 1), ("PSU-550", 1)],
            [("HD-600G", 1)],
            [("HD-600G", 1, 1, Out.MATCHED, 0, 0), ("PSU-550", 1, 0, Out.USED_NOT_ISSUED, 1, 0)],
        ),
    ],
)
def test_reconciliation_of_used_against_issued(
    used: list[tuple[str, int]], issued: list[tuple[str, int]], expected: list[tuple[str, int, int, Out, int, int]]
) -> None:
    lines = reconcile(
        [Used(number, CATALOGUE.get(number, "某配件"), q) for number, q in used],
        [lot(number, q) for number, q in issued],
        CATALOGUE,
    )
    assert [(li.part_number, li.used, li.issued, li.outcome, li.unissued, li.returned) for li in lines] == expected
    assert [li.flagged for li in lines] == [e[3] in (Out.USED_NOT_ISSUED, Out.UNKNOWN_PART) for e in expected]


def test_unused_parts_go_back_to_the_stores_they_came_from_latest_issue_first() -> None:
    first, second = lot("HD-600G", 2, STORE_A), lot("HD-600G", 1, STORE_B)
    [line] = reconcile([Used("HD-600G", "硬盘", 1)], [first, second], CATALOGUE)
    assert [(r.store_id, r.quantity, r.lot) for r in line.returns] == [
        (STORE_B, 1, second.movement_id),
        (STORE_A, 1, first.movement_id),
    ]


def test_a_part_without_a_number_is_recorded_but_not_flagged() -> None:
    [line] = reconcile([Used(None, "网线", 2)], [], CATALOGUE)
    assert (line.part_number, line.name, line.used, line.outcome, line.flagged) == (
        None,
        "网线",
        2,
        Out.UNCATALOGUED,
        False,
    )
