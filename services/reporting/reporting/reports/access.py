"""Who reads which report, and over which units (SPEC §1): supervisors, admins and dispatchers read
everything; hotline operators the summary; requesters the summary and the SLA breaches of their own
unit's subtree, nothing else. Enforced here, in the service that owns the figures."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.errors import Forbidden
from reporting.periods import Period
from reporting.reports.filters import Filters

CONTRACT_READERS = (Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.ADMIN, Role.DISPATCHER)
SUMMARY_READERS = (*CONTRACT_READERS, Role.HOTLINE_OPERATOR, Role.REQUESTER)
SLA_READERS = (*CONTRACT_READERS, Role.REQUESTER)
PLAN_WRITERS = (Role.DISPATCHER, Role.ADMIN)
# The vendor's inspections are the contract's first acceptance material: the contract's readers read them.
INSPECTION_READERS = CONTRACT_READERS


def unit_scoped(principal: Principal) -> bool:
    return not principal.has_any(*CONTRACT_READERS, Role.HOTLINE_OPERATOR)


async def _within(session: AsyncSession, unit_id: UUID, root: UUID) -> bool:
    if unit_id == root:
        return True
    return bool(
        await session.scalar(
            text("SELECT EXISTS (SELECT 1 FROM unit_dim WHERE unit_id = :u AND path @> ARRAY[CAST(:root AS uuid)])"),
            {"u": unit_id, "root": root},
        )
    )


async def scoped_filters(
    session: AsyncSession,
    principal: Principal,
    period: Period,
    *,
    unit_id: UUID | None = None,
    category: str | None = None,
    priority: str | None = None,
) -> Filters:
    root = unit_id
    if unit_scoped(principal):
        if principal.unit_id is None:
            raise Forbidden("your account belongs to no unit, so no figures are yours to see", code="report.no_unit")
        if unit_id is not None and not await _within(session, unit_id, principal.unit_id):
            raise Forbidden("unit_id: outside your unit's subtree", field="unit_id", code="report.unit_out_of_scope")
        root = unit_id or principal.unit_id
    return Filters(period, root, category, priority)
