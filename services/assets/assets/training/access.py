"""Who does what with training sessions and visits: the vendor's staff arrange them, supervisors (and the
hotline) read everything, anybody else sees what concerns their own unit (a session for their unit or one
above it, a visit to their unit's subtree)."""

from uuid import UUID

from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.errors import Forbidden

ARRANGERS = (Role.ADMIN, Role.DISPATCHER, Role.ENGINEER, Role.PROJECT_MANAGER)
SEE_ALL = (*ARRANGERS, Role.SUPERVISOR, Role.HOTLINE_OPERATOR)


def arranges(principal: Principal) -> bool:
    return principal.has_any(*ARRANGERS)


def sees_all(principal: Principal) -> bool:
    return principal.has_any(*SEE_ALL)


def require_arranger(principal: Principal, what: str) -> None:
    if not arranges(principal):
        raise Forbidden(f"only the vendor's staff arrange {what}", rule="vendor-arranges", code="auth.role_required")


def in_audience(audience: list[UUID], own_path: list[UUID], below: set[UUID]) -> bool:
    """A session is a unit member's when it is for their unit or a unit above it (`own_path`: root down to
    their unit) — or, for a unit's head, for a unit under it (`below`)."""
    return bool(set(audience) & (set(own_path) | below))
