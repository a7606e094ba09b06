"""The staff's ticket list as CSV: the rows of the list's view (same filters, same sort), masked as the
caller sees them, each text cell neutralised so a title such as `=HYPERLINK(…)` opens as text."""

import csv
import io
from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.directory.models import Unit
from intake.tickets.models import Ticket
from opsdesk_shared import privacy
from opsdesk_shared.auth import Principal
from opsdesk_shared.spreadsheet_cells import neutralise

# A view larger than this is a report, not a list: the export says so in its last row rather than
# holding the API for minutes.
MAX_ROWS = 10_000
HEADER = (
    "编号 Number",
    "标题 Title",
    "状态 Status",
    "优先级 Priority",
    "类别 Category",
    "渠道 Channel",
    "时限 SLA",
    "单位 Unit",
    "报修人 Requester",
    "电话 Phone",
    "工程师 Engineer",
    "提交时间 Created (UTC)",
)


async def unit_names(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted)))
    return {uid: name for uid, name in rows}


def csv_text(principal: Principal, tickets: list[Ticket], units: dict[UUID, str], *, truncated: bool) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads UTF-8 CSV as such only with the byte-order mark
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for t in tickets:
        writer.writerow(
            [
                neutralise(value)
                for value in (
                    t.number,
                    t.title,
                    t.status,
                    t.priority,
                    t.category,
                    t.channel,
                    t.sla_state,
                    units.get(t.unit_id, str(t.unit_id)),
                    privacy.name_for(principal, t.requester_name),
                    privacy.phone_for(principal, t.requester_phone),
                    t.engineer_name or "",
                    t.created_at.isoformat(timespec="seconds"),
                )
            ]
        )
    if truncated:
        writer.writerow([f"… only the first {MAX_ROWS} rows: narrow the filters"])
    return buffer.getvalue()
