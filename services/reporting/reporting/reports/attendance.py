"""Staff attendance from dispatch's clock-in and clock-out events: shifts, days present and hours on
duty per person for a period (by clock-in time)."""

from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.exports.document import Table
from reporting.periods import Period


class Attendance(BaseModel):
    user_id: UUID
    display_name: str
    shifts: int
    days_present: int
    hours_on_duty: float
    still_clocked_in: int


async def attendance(session: AsyncSession, period: Period) -> list[Attendance]:
    rows = await session.execute(
        text(
            "SELECT user_id, min(display_name) AS display_name, count(*) AS shifts,"
            " count(DISTINCT (clock_in_at AT TIME ZONE 'Asia/Shanghai')::date) AS days_present,"
            " coalesce(round(sum(extract(epoch FROM clock_out_at - clock_in_at)) / 3600.0, 2), 0) AS hours_on_duty,"
            " count(*) FILTER (WHERE clock_out_at IS NULL) AS still_clocked_in "
            "FROM attendance_fact WHERE clock_in_at >= :starts AND clock_in_at < :ends "
            "GROUP BY user_id ORDER BY min(display_name)"
        ),
        {"starts": period.starts_at, "ends": period.ends_at},
    )
    return [Attendance(**dict(r._mapping)) for r in rows]


def attendance_table(items: list[Attendance]) -> Table:
    return Table(
        "人员出勤 Staff attendance",
        ["姓名 Name", "班次 Shifts", "出勤天数 Days present", "在岗小时 Hours on duty", "未签退 Not clocked out"],
        [[a.display_name, a.shifts, a.days_present, a.hours_on_duty, a.still_clocked_in] for a in items],
    )
