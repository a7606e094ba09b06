"""Staff attendance for a period, set against dispatch's duty roster: per person the shifts rostered,
attended (a clock-in of theirs overlapping the shift), missed (ended with no clock-in) and started late (clock-in more
than 10 minutes after the shift began), and what the clock-ins themselves add up to: days present and
hours on duty. Shifts count by their start, clock-ins by theirs."""

from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Table
from reporting.periods import Period

LATE_AFTER_MIN = 10


class Attendance(BaseModel):
    user_id: UUID
    display_name: str
    shifts_rostered: int
    rostered_hours: float
    shifts_attended: int
    shifts_missed: int
    late_starts: int
    clock_ins: int
    days_present: int
    hours_on_duty: float
    still_clocked_in: int


# A shift is attended when one of its person's clock-ins overlaps it, whatever shift dispatch tied the
# clock-in to: dispatch ties a clock-in to the person's next unfinished shift *at the time*, so a clock-in
# made before the day's roster was entered was tied to none (出勤 0 beside 出勤天数 1), and one made on a
# day off was tied to a shift days later.
_OVERLAPS = "a.user_id = s.user_id AND a.clock_in_at < s.ends_at AND coalesce(a.clock_out_at, now()) > s.starts_at"

_ATTENDANCE = text(
    f"""
WITH rostered AS (
    SELECT s.user_id, min(s.display_name) AS name, count(*) AS shifts_rostered,
        round(sum(extract(epoch FROM s.ends_at - s.starts_at)) / 3600.0, 2) AS rostered_hours,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM attendance_fact a WHERE {_OVERLAPS})) AS shifts_attended,
        count(*) FILTER (WHERE s.ends_at <= now()
            AND NOT EXISTS (SELECT 1 FROM attendance_fact a WHERE {_OVERLAPS})) AS shifts_missed
    FROM shift_fact s WHERE s.starts_at >= :starts AND s.starts_at < :ends
    GROUP BY s.user_id
), worked AS (
    SELECT a.user_id, min(a.display_name) AS name, count(*) AS clock_ins,
        count(DISTINCT (a.clock_in_at AT TIME ZONE 'Asia/Shanghai')::date) AS days_present,
        coalesce(round(sum(extract(epoch FROM a.clock_out_at - a.clock_in_at)) / 3600.0, 2), 0) AS hours_on_duty,
        count(*) FILTER (WHERE a.clock_out_at IS NULL) AS still_clocked_in,
        count(*) FILTER (WHERE a.clock_in_at > s.starts_at + interval '{LATE_AFTER_MIN} minutes') AS late_starts
    FROM attendance_fact a
    LEFT JOIN LATERAL (
        SELECT s.starts_at FROM shift_fact s WHERE {_OVERLAPS} ORDER BY s.starts_at LIMIT 1
    ) s ON true
    WHERE a.clock_in_at >= :starts AND a.clock_in_at < :ends
    GROUP BY a.user_id
)
SELECT user_id, coalesce(w.name, r.name) AS display_name,
    coalesce(r.shifts_rostered, 0) AS shifts_rostered, coalesce(r.rostered_hours, 0) AS rostered_hours,
    coalesce(r.shifts_attended, 0) AS shifts_attended, coalesce(r.shifts_missed, 0) AS shifts_missed,
    coalesce(w.late_starts, 0) AS late_starts, coalesce(w.clock_ins, 0) AS clock_ins,
    coalesce(w.days_present, 0) AS days_present, coalesce(w.hours_on_duty, 0) AS hours_on_duty,
    coalesce(w.still_clocked_in, 0) AS still_clocked_in
FROM rostered r FULL JOIN worked w USING (user_id)
ORDER BY 2
"""
)


async def attendance(session: AsyncSession, period: Period) -> list[Attendance]:
    rows = await session.execute(_ATTENDANCE, {"starts": period.starts_at, "ends": period.ends_at})
    return [Attendance(**dict(r._mapping)) for r in rows]


def attendance_table(items: list[Attendance]) -> Table:
    return Table(
        "人员出勤 Staff attendance",
        [
            "姓名 Name",
            "排班 Rostered",
            "排班小时 Rostered hours",
            "出勤 Attended",
            "缺勤 Missed",
            "迟到 Late",
            "出勤天数 Days present",
            "在岗小时 Hours on duty",
            "未签退 Not clocked out",
        ],
        [
            [
                a.display_name,
                a.shifts_rostered,
                a.rostered_hours,
                a.shifts_attended,
                a.shifts_missed,
                a.late_starts,
                a.days_present,
                a.hours_on_duty,
                a.still_clocked_in,
            ]
            for a in items
        ],
    )
