"""Which of an aggregate's events a consumer applies (`messaging/ordering.py`), as a table."""

import pytest

from opsdesk_shared.messaging.ordering import Order, compare


@pytest.mark.parametrize(
    ("event_version", "applied_version", "expected"),
    [
        (1, 0, Order.NEWER),  # the first versioned event over a copy made before versions
        (3, 2, Order.NEWER),
        (5, 2, Order.NEWER),  # a gap: versions in between were stale or are still on their way
        (2, 3, Order.STALE),  # a pend delivered after the resume that followed it
        (0, 4, Order.STALE),  # written before versions existed, so older than any versioned one
        (3, 3, Order.SAME),  # a re-announcement (the gateway's directory at bootstrap)
        (0, 0, Order.NEWER),  # both unversioned: arrival order, as before
    ],
)
def test_an_event_applies_only_if_newer_than_what_was_applied(
    event_version: int, applied_version: int, expected: Order
) -> None:
    assert compare(event_version, applied_version) is expected
