"""`python -m reporting rebuild`: the read model recomputed from the events kept in `stored_event`.

One transaction: readers keep getting answers until they touch a table being rebuilt, then wait for
the commit; events arriving meanwhile are stored and applied after it. Events are applied in the order
they occurred (facts tolerate any order anyway), then every rollup cell is recomputed once.
"""

import sys
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from tqdm import tqdm

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.settings import ServiceSettings
from reporting.projections import apply
from reporting.projections.rollups import refresh_all

FACTS = (
    "ticket_fact",
    "sla_clock_fact",
    "cost_fact",
    "shift_fact",
    "attendance_fact",
    "unit_dim",
    "sms_daily",
    "call_daily",
    "knowledge_daily",
    "inspection_round_fact",
    "inspection_finding_fact",
    "asset_dim",
    "asset_change_fact",
    "inspection_reading_fact",
    "device_outage",
    "training_session_fact",
    "training_attendance_fact",
    "visit_fact",
    "visit_risk_fact",
)
BATCH = 2000

_PAGE = text(
    "SELECT id, occurred_at, envelope FROM stored_event "
    "WHERE (occurred_at, id) > (:at, :id) ORDER BY occurred_at, id LIMIT :n"
)


async def rebuild_read_model(session: AsyncSession, *, progress: bool = True) -> int:
    total = int(await session.scalar(text("SELECT count(*) FROM stored_event")) or 0)
    await session.execute(text(f"TRUNCATE {', '.join(FACTS)}"))
    after: tuple[datetime, UUID] = (datetime(1, 1, 1, tzinfo=UTC), UUID(int=0))
    done = 0
    with tqdm(total=total, unit="event", desc="replaying events", disable=not progress, file=sys.stderr) as bar:
        while True:
            rows = (await session.execute(_PAGE, {"at": after[0], "id": after[1], "n": BATCH})).all()
            if not rows:
                break
            for row in rows:
                await apply(session, Envelope.model_validate(row.envelope))
            after = (rows[-1].occurred_at, rows[-1].id)
            done += len(rows)
            bar.update(len(rows))
    if progress:
        print("recomputing rollups", file=sys.stderr)
    await refresh_all(session)
    return done


async def run(settings: ServiceSettings) -> None:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session, session.begin():
            count = await rebuild_read_model(session)
        print(f"rebuilt the read model from {count} events", file=sys.stderr)
    finally:
        await engine.dispose()
