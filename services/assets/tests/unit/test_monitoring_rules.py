"""The monitoring receiver's pure decisions (assets/monitoring/rules.py), table by table."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assets.monitoring.rules import (
    Change,
    Matcher,
    MatchOp,
    Rule,
    Window,
    change_of,
    in_maintenance,
    is_availability_alert,
    rule_for,
    storm_leads,
)

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("matcher", "labels", "expected"),
    [
        (Matcher("alertname", MatchOp.EQUAL, "DeviceDown"), {"alertname": "DeviceDown"}, True),
        (Matcher("alertname", MatchOp.EQUAL, "DeviceDown"), {"alertname": "DiskFull"}, False),
        (Matcher("team", MatchOp.EQUAL, ""), {}, True),  # a missing label is the empty string
        (Matcher("severity", MatchOp.NOT_EQUAL, "info"), {"severity": "critical"}, True),
        (Matcher("severity", MatchOp.NOT_EQUAL, "info"), {"severity": "info"}, False),
        (Matcher("instance", MatchOp.REGEX, "10\\.1\\..*"), {"instance": "10.1.2.3"}, True),
        (Matcher("instance", MatchOp.REGEX, "10\\.1"), {"instance": "10.1.2.3"}, False),  # anchored
        (Matcher("job", MatchOp.NOT_REGEX, "opsdesk-.*"), {"job": "devices"}, True),
        (Matcher("job", MatchOp.NOT_REGEX, "opsdesk-.*"), {"job": "opsdesk-api"}, False),
    ],
)
def test_matchers(matcher: Matcher, labels: dict[str, str], expected: bool) -> None:
    assert matcher.matches(labels) is expected


def _rule(position: int, *matchers: Matcher, **kw: Any) -> Rule:
    return Rule(id=uuid.uuid4(), position=position, matchers=matchers, **kw)


QUIET = _rule(10, Matcher("severity", MatchOp.EQUAL, "info"), opens_tickets=False)
DEVICES = _rule(20, Matcher("alertname", MatchOp.EQUAL, "DeviceDown"), availability=True, auto_resolve=True)
CATCH_ALL = _rule(1000, severity_priority={"critical": "P1", "warning": "P3"}, default_priority="P2")


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"alertname": "DeviceDown", "severity": "info"}, QUIET),  # the first by position decides
        ({"alertname": "DeviceDown", "severity": "critical"}, DEVICES),
        ({"alertname": "DiskFull"}, CATCH_ALL),
    ],
)
def test_the_first_matching_rule_by_position_decides(labels: dict[str, str], expected: Rule) -> None:
    assert rule_for([CATCH_ALL, DEVICES, QUIET], labels) is expected


def test_no_rule_takes_an_alert_none_matches() -> None:
    assert rule_for([QUIET], {"severity": "critical"}) is None


@pytest.mark.parametrize(
    ("severity", "priority"), [("critical", "P1"), ("CRITICAL", "P1"), ("warning", "P3"), ("page", "P2"), (None, "P2")]
)
def test_severity_gives_priority_else_the_rules_default(severity: str | None, priority: str) -> None:
    assert CATCH_ALL.priority_for(severity) == priority


@pytest.mark.parametrize(
    ("rule", "labels", "expected"),
    [
        (DEVICES, {}, True),
        (CATCH_ALL, {"availability": "true"}, True),
        (CATCH_ALL, {"availability": "True"}, True),
        (CATCH_ALL, {}, False),
        (None, {"availability": "false"}, False),
    ],
)
def test_availability_alerts(rule: Rule | None, labels: dict[str, str], expected: bool) -> None:
    assert is_availability_alert(rule, labels) is expected


ROOT, BRANCH, STATION = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


@pytest.mark.parametrize(
    ("window", "at", "tag", "path", "expected"),
    [
        (Window(T0, LATER, asset_tag="JZZ-1"), T0, "JZZ-1", [ROOT], True),
        (Window(T0, LATER, asset_tag="JZZ-1"), LATER, "JZZ-1", [ROOT], False),  # the end is not inside
        (Window(T0, LATER, asset_tag="JZZ-1"), T0 - timedelta(seconds=1), "JZZ-1", [ROOT], False),
        (Window(T0, LATER, asset_tag="JZZ-1"), T0, "JZZ-2", [ROOT], False),
        (Window(T0, LATER, unit_id=BRANCH), T0, "JZZ-9", [ROOT, BRANCH, STATION], True),  # a unit above
        (Window(T0, LATER, unit_id=STATION), T0, "JZZ-9", [ROOT, BRANCH], False),  # a unit below
    ],
)
def test_maintenance_windows(window: Window, at: datetime, tag: str, path: list[uuid.UUID], expected: bool) -> None:
    assert in_maintenance([window], at, tag, path) is expected


@pytest.mark.parametrize(
    ("recorded", "recorded_at", "status", "starts_at", "expected"),
    [
        (None, None, "firing", T0, Change.FIRED),
        (None, None, "resolved", T0, Change.RESOLVED),
        ("firing", T0, "firing", T0, Change.REPEAT),  # Alertmanager's repeat_interval resend
        ("firing", T0, "resolved", T0, Change.RESOLVED),
        ("resolved", T0, "resolved", T0, Change.REPEAT),
        ("resolved", T0, "firing", T0, Change.STALE),  # a late resend of the ended episode
        ("resolved", T0, "firing", LATER, Change.FIRED),  # firing again: a new episode
        ("firing", LATER, "resolved", T0, Change.STALE),  # the recovery of an older episode
        ("firing", T0, "firing", LATER, Change.FIRED),  # its recovery was never delivered
    ],
)
def test_what_a_delivery_changes(
    recorded: str | None, recorded_at: datetime | None, status: str, starts_at: datetime, expected: Change
) -> None:
    assert change_of(recorded, recorded_at, status, starts_at) is expected


@pytest.mark.parametrize(
    ("firing", "current", "expected"),
    [
        ([("a", True), ("b", True), ("c", True)], None, {"a": None, "b": "a", "c": "a"}),
        ([("a", True), ("b", True)], "x", {"a": "x", "b": "x"}),  # the group's earlier lead still firing
        ([("a", False), ("b", True), ("c", True)], None, {"a": None, "b": None, "c": "b"}),  # a rule says apart
        ([("x", True), ("b", True)], "x", {"x": None, "b": "x"}),
        ([], None, {}),
    ],
)
def test_a_storm_shares_the_ticket_of_its_lead(
    firing: list[tuple[str, bool]], current: str | None, expected: dict[str, str | None]
) -> None:
    assert storm_leads(firing, current) == expected
