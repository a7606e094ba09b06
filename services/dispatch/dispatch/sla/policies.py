"""SLA policy administration. Editing a policy affects clocks started afterwards; running clocks keep
the targets they started with (a clock copies its target, calendar and warning ratio)."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.sla.models import SlaPolicy
from dispatch.sla.schemas import PolicyIn, PolicyPatch
from opsdesk_shared.errors import Conflict, NotFound, RuleViolation


async def _active_duplicate(session: AsyncSession, category: str, priority: str, exclude: UUID | None) -> bool:
    stmt = select(SlaPolicy.id).where(
        SlaPolicy.is_active.is_(True),
        SlaPolicy.category == category,
        SlaPolicy.priority == priority,
    )
    if exclude is not None:
        stmt = stmt.where(SlaPolicy.id != exclude)
    return await session.scalar(stmt) is not None


async def create(session: AsyncSession, body: PolicyIn) -> SlaPolicy:
    if await _active_duplicate(session, body.category, body.priority, None):
        raise Conflict(
            f"an active policy already matches category={body.category} priority={body.priority}; "
            "change or deactivate it",
            field="category",
            code="sla.policy_overlap",
        )
    policy = SlaPolicy(**body.model_dump())
    session.add(policy)
    await session.flush()
    return policy


async def get(session: AsyncSession, policy_id: UUID, *, lock: bool = False) -> SlaPolicy:
    policy = await session.get(SlaPolicy, policy_id, with_for_update=lock)
    if policy is None:
        raise NotFound(f"no SLA policy {policy_id}", code="sla.policy_not_found")
    return policy


async def update(session: AsyncSession, policy_id: UUID, body: PolicyPatch) -> SlaPolicy:
    policy = await get(session, policy_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    for key, value in changes.items():
        setattr(policy, key, value)
    if not (policy.response_target_s or policy.arrival_target_s or policy.resolution_target_s):
        raise RuleViolation(
            "a policy needs at least one target", field="resolution_target_s", code="sla.policy_needs_target"
        )
    if policy.is_active and await _active_duplicate(session, policy.category, policy.priority, policy.id):
        raise Conflict(
            "another active policy matches the same category and priority", field="is_active", code="sla.policy_overlap"
        )
    return policy


async def list_all(session: AsyncSession) -> list[SlaPolicy]:
    rows = await session.execute(select(SlaPolicy).order_by(SlaPolicy.category, SlaPolicy.priority, SlaPolicy.name))
    return list(rows.scalars())
