"""Starting a ticket's clocks from the policy that matches it, and reading them back."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dispatch.sla.models import SlaClock, SlaPolicy
from opsdesk_shared.contracts.dispatch import ClockSnapshot, SlaStarted
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.messaging.outbox import add_event

PRODUCER = "dispatch"
METRICS = ("response", "arrival", "resolution")


def _specificity(policy: SlaPolicy) -> int:
    return (policy.category != "*") * 2 + (policy.priority != "*")


async def matching_policy(session: AsyncSession, category: str, priority: str) -> SlaPolicy | None:
    rows = await session.execute(
        select(SlaPolicy).where(
            SlaPolicy.is_active.is_(True),  # type: ignore[attr-defined]
            SlaPolicy.category.in_([category, "*"]),  # type: ignore[attr-defined]
            SlaPolicy.priority.in_([priority, "*"]),  # type: ignore[attr-defined]
        )
    )
    policies = sorted(rows.scalars(), key=_specificity, reverse=True)
    return policies[0] if policies else None


async def start_clocks(session: AsyncSession, ticket: TicketCreated) -> list[SlaClock]:
    """Clocks run from the ticket's creation, not from when this event arrived."""
    policy = await matching_policy(session, ticket.category, ticket.priority)
    if policy is None:
        return []
    clocks = []
    for metric in METRICS:
        target = getattr(policy, f"{metric}_target_s")
        if not target:
            continue
        # 24x7 arithmetic; working-day calendars are computed by dispatch.sla.calendars when added.
        due = ticket.created_at + timedelta(seconds=target)
        warn = ticket.created_at + timedelta(seconds=int(target * policy.warn_ratio))
        clocks.append(
            SlaClock(
                ticket_id=ticket.ticket_id,
                policy_id=policy.id,
                metric=metric,
                state="running",
                calendar=policy.calendar,
                target_s=target,
                started_at=ticket.created_at,
                due_at=due,
                warn_at=warn,
            )
        )
    if clocks:
        # The same ticket twice (a second event id for it) must not start a second set of clocks.
        stmt = (
            insert(SlaClock)
            .values([c.model_dump() for c in clocks])
            .on_conflict_do_nothing(index_elements=["ticket_id", "metric"])
        )
        await session.execute(stmt)
        await add_event(
            session,
            SlaStarted(
                ticket_id=ticket.ticket_id,
                policy_id=policy.id,
                policy_name=policy.name,
                clocks=[
                    ClockSnapshot(metric=c.metric, state=c.state, started_at=c.started_at, due_at=c.due_at)
                    for c in clocks
                ],
            ),
            producer=PRODUCER,
        )
    return clocks


async def ticket_clocks(session: AsyncSession, ticket_id: UUID) -> list[SlaClock]:
    rows = await session.execute(select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.due_at))
    return list(rows.scalars())


def elapsed_and_remaining(clock: SlaClock, now: datetime | None = None) -> tuple[int, int]:
    end = clock.stopped_at or now or datetime.now(UTC)
    elapsed = max(0, int((end - clock.started_at).total_seconds()) - clock.paused_seconds)
    return elapsed, clock.target_s - elapsed
