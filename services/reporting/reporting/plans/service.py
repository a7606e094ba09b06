"""The weekly plan: written by the vendor's dispatcher or admin, one per ISO week, printed in that week's
report."""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.periods import Period
from reporting.plans.schemas import PlanOut


async def get_plan(session: AsyncSession, week: Period) -> PlanOut:
    """The week's plan alone (an empty one if not written yet)."""
    row = (
        await session.execute(
            text("SELECT plan, updated_by, updated_at FROM weekly_plan WHERE week = :w"), {"w": week.label}
        )
    ).first()
    if row is None:
        return PlanOut(week=week.label, plan="", updated_by=None, updated_at=None)
    return PlanOut(week=week.label, plan=row.plan, updated_by=row.updated_by, updated_at=row.updated_at)


async def put_plan(session: AsyncSession, week: Period, plan: str, by: str) -> PlanOut:
    """Replaces the week's plan (the caller's transaction commits)."""
    now = datetime.now(UTC)
    await session.execute(
        text(
            "INSERT INTO weekly_plan (week, plan, updated_by, updated_at) VALUES (:w, :p, :by, :at) "
            "ON CONFLICT (week) DO UPDATE SET plan = EXCLUDED.plan, updated_by = EXCLUDED.updated_by,"
            " updated_at = EXCLUDED.updated_at"
        ),
        {"w": week.label, "p": plan, "by": by, "at": now},
    )
    return PlanOut(week=week.label, plan=plan, updated_by=by, updated_at=now)
