"""Separation of duties (三权分立, SPEC §1; MLPS level 3 asks that the system, security and audit
administrators' powers be held apart): who may change which account's roles and details.

A *privileged account* is one holding `admin`, `security_admin` or `auditor`, before or after the change:
the three administrators MLPS level 3 names (系统管理员, 安全管理员, 审计管理员). Whoever can edit, disable
or re-enable one of them can take over or silence that power, so only a security administrator may; every
other account (operators, requesters, dispatchers, engineers, supervisors) is ordinary user management,
which the system administrator does.

The rules, checked in this order (the first one broken is the answer):
1. nobody changes their own roles (a security administrator would otherwise grant themselves anything);
2. only a security administrator creates or changes a privileged account;
3. the bootstrap account's roles are handed over, never widened: a change may only take roles away;
4. no account holds two administrators' roles at once (the bootstrap account keeps the pair it was created
   with, SPEC §1, until it hands them over), nor the vendor's project manager's with the bureau's
   supervisor's or the auditor's.

Pure: the caller loads the account and acts on the answer (an exception, or nothing).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any
from uuid import UUID

from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.errors import Forbidden, RuleViolation

PRIVILEGED_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR})
# Two of the three administrators' roles on one account would undo the split. `auditor` with `admin` or
# `security_admin` is what the issue names; `admin` with `security_admin` is the same split between the
# other two powers (only the bootstrap account may hold it, from its creation).
# The vendor's project manager (乙方项目经理) stands on the vendor's side of the contract: the bureau's
# supervisor checks the vendor's work (verifies its measures, approves its work records) and the auditor audits
# it, so neither may be the project manager too.
VENDOR_SIDE_PAIRS = frozenset(
    {frozenset({Role.PROJECT_MANAGER, Role.SUPERVISOR}), frozenset({Role.PROJECT_MANAGER, Role.AUDITOR})}
)
EXCLUSIVE_PAIRS = frozenset(frozenset(pair) for pair in combinations(sorted(PRIVILEGED_ROLES), 2)) | VENDOR_SIDE_PAIRS


@dataclass(frozen=True)
class Account:
    """The account being changed, as it is now."""

    id: UUID
    roles: frozenset[str]
    is_bootstrap: bool = False


def conflicting_pairs(roles: Iterable[str]) -> list[tuple[str, str]]:
    """Every pair of roles in `roles` that one person may not hold together, sorted."""
    held = sorted(set(roles))
    return [(a, b) for a, b in combinations(held, 2) if frozenset({a, b}) in EXCLUSIVE_PAIRS]


def check_account_change(actor: Principal, target: Account | None, new_roles: Iterable[str] | None) -> None:
    """Raises unless `actor` may create (`target` None) or change `target`, giving it `new_roles` (None: the
    roles stay as they are)."""
    roles = frozenset(new_roles) if new_roles is not None else None
    current = target.roles if target is not None else frozenset()
    changes_roles = roles is not None and roles != current
    if target is not None and changes_roles and target.id == actor.subject:
        raise Forbidden("roles: nobody changes their own roles", field="roles", rule="own-roles", code="user.own_roles")
    if (current | (roles or frozenset())) & PRIVILEGED_ROLES and not actor.has_any(Role.SECURITY_ADMIN):
        where: dict[str, Any] = {"field": "roles"} if changes_roles else {}
        raise Forbidden(
            ("roles: " if changes_roles else "")
            + "only a security administrator may grant admin, security_admin or auditor, or change an account "
            "holding one of them",
            rule="privileged-account",
            code="user.privileged_roles",
            **where,
        )
    if roles is None or not changes_roles:
        return
    if target is not None and target.is_bootstrap and not roles <= current:
        raise RuleViolation(
            "roles: the bootstrap account's roles can only be handed over (taken away), never added to",
            field="roles",
            rule="bootstrap-handover",
            code="user.bootstrap_roles",
        )
    grandfathered = set(conflicting_pairs(current)) if target is not None and target.is_bootstrap else set()
    clashes = [pair for pair in conflicting_pairs(roles) if pair not in grandfathered]
    if clashes:
        a, b = clashes[0]
        raise RuleViolation(
            f"roles: {a} and {b} may not be held by one account (separation of duties)",
            field="roles",
            rule="separation-of-duties",
            code="user.separation_of_duties",
            params={"a": a, "b": b},
        )
