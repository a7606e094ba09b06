from collections import defaultdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.auth import Principal, Role, require_roles
from opsdesk_shared.errors import RuleViolation
from reporting.schemas import Summary

router = APIRouter(prefix="/api/reports", tags=["reports"])
Reader = Annotated[Principal, Depends(require_roles(Role.SUPERVISOR, Role.ADMIN, Role.DISPATCHER))]


async def read_session(request: Request):  # type: ignore[no-untyped-def]
    async with request.app.state.sessions() as session:
        yield session


Session = Annotated[AsyncSession, Depends(read_session)]


@router.get("/summary", response_model=Summary)
async def summary(
    _: Reader,
    session: Session,
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> Summary:
    if from_ and to and from_ >= to:
        raise RuleViolation("from: must be before to", field="from")
    rows = await session.execute(
        text(
            "SELECT status, category, priority, channel, unit_id::text AS unit, count(*) AS n FROM ticket_fact "
            "WHERE (CAST(:f AS timestamptz) IS NULL OR created_at >= :f) "
            "AND (CAST(:t AS timestamptz) IS NULL OR created_at < :t) "
            "GROUP BY status, category, priority, channel, unit_id"
        ),
        {"f": from_, "t": to},
    )
    buckets: dict[str, dict[str, int]] = {
        k: defaultdict(int) for k in ("status", "category", "priority", "channel", "unit")
    }
    total = 0
    for row in rows.mappings():
        total += row["n"]
        for key in buckets:
            buckets[key][row[key]] += row["n"]
    return Summary(
        period_from=from_,
        period_to=to,
        generated_at=datetime.now(UTC),
        total=total,
        by_status=buckets["status"],
        by_category=buckets["category"],
        by_priority=buckets["priority"],
        by_channel=buckets["channel"],
        by_unit=buckets["unit"],
    )
