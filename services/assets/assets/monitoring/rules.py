"""The monitoring receiver's decisions that need no database (table-tested in tests/unit): which rule an
alert falls under, the priority its severity gives, whether a maintenance window covers it, which alerts of
one notification share a ticket (a storm), and what a delivery changes for an alert already recorded."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from opsdesk_shared.contracts.vocabulary import Priority


class MatchOp(StrEnum):
    """Alertmanager's matcher operators."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True)
class Matcher:
    label: str
    op: MatchOp
    value: str

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.label, "")  # as in Alertmanager, a missing label is the empty string
        if self.op is MatchOp.EQUAL:
            return actual == self.value
        if self.op is MatchOp.NOT_EQUAL:
            return actual != self.value
        found = re.fullmatch(self.value, actual) is not None  # anchored, as Prometheus' regexes are
        return found if self.op is MatchOp.REGEX else not found


@dataclass(frozen=True)
class Rule:
    """What to do with the alerts it matches (every matcher must hold; no matchers: every alert)."""

    id: UUID
    position: int
    matchers: tuple[Matcher, ...]
    opens_tickets: bool = True
    severity_priority: dict[str, str] = field(default_factory=dict)
    default_priority: str = Priority.P3
    auto_resolve: bool = False
    reopen_window_s: int = 3600
    group_storms: bool = True
    availability: bool = False
    category: str = "fault"
    kind_of_work: str | None = None

    def matches(self, labels: dict[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)

    def priority_for(self, severity: str | None) -> str:
        return self.severity_priority.get((severity or "").lower(), self.default_priority)


def matchers_of(raw: Iterable[dict[str, Any]]) -> tuple[Matcher, ...]:
    return tuple(Matcher(m["label"], MatchOp(m["op"]), m["value"]) for m in raw)


def rule_for(rules: Sequence[Rule], labels: dict[str, str]) -> Rule | None:
    """The first rule (by position) whose matchers all hold; None: no rule takes it (recorded, no ticket)."""
    return next((r for r in sorted(rules, key=lambda r: r.position) if r.matches(labels)), None)


def is_availability_alert(rule: Rule | None, labels: dict[str, str]) -> bool:
    return labels.get("availability", "").lower() == "true" or (rule is not None and rule.availability)


@dataclass(frozen=True)
class Window:
    starts_at: datetime
    ends_at: datetime
    asset_tag: str | None = None
    unit_path: tuple[UUID, ...] = ()  # the window's unit and every unit under it (matched through the path)
    unit_id: UUID | None = None


def in_maintenance(windows: Iterable[Window], at: datetime, asset_tag: str | None, unit_path: Sequence[UUID]) -> bool:
    """A window covers an alert at `at` when it is open then and names the alert's asset, or a unit that is
    the alert's unit or one of its ancestors."""
    for w in windows:
        if not (w.starts_at <= at < w.ends_at):
            continue
        if w.asset_tag is not None and w.asset_tag == asset_tag:
            return True
        if w.unit_id is not None and w.unit_id in unit_path:
            return True
    return False


class Change(StrEnum):
    """What one delivered alert means against what was recorded of it."""

    FIRED = "fired"  # a new firing episode (or the first we hear of it)
    RESOLVED = "resolved"
    REPEAT = "repeat"  # Alertmanager resending what we have: nothing to do
    STALE = "stale"  # news of an older episode than the one recorded


def change_of(
    recorded_status: str | None, recorded_starts_at: datetime | None, status: str, starts_at: datetime
) -> Change:
    if recorded_status is None or recorded_starts_at is None:
        return Change.FIRED if status == "firing" else Change.RESOLVED
    if starts_at < recorded_starts_at:
        return Change.STALE
    if starts_at > recorded_starts_at:  # a new episode, however it arrives
        return Change.FIRED if status == "firing" else Change.RESOLVED
    if status == recorded_status:
        return Change.REPEAT
    # Same episode: resolved after firing is news; firing after resolved is Alertmanager's late resend of an
    # episode that has already ended (a fresh firing would carry a new startsAt).
    return Change.RESOLVED if status == "resolved" else Change.STALE


def storm_leads(firing: Sequence[tuple[str, bool]], current_lead: str | None) -> dict[str, str | None]:
    """For the alerts of one group that fire in one notification ((fingerprint, shares_a_ticket) in the order
    received), the fingerprint whose ticket each joins (None: it opens its own). The group's lead still
    firing from an earlier notification keeps leading; otherwise the first alert that shares leads."""
    leads: dict[str, str | None] = {}
    lead = current_lead
    for fingerprint, shares in firing:
        if not shares:
            leads[fingerprint] = None
            continue
        if lead is None or lead == fingerprint:
            lead = fingerprint
            leads[fingerprint] = None
        else:
            leads[fingerprint] = lead
    return leads
