"""The weekly report generated every Monday at 08:00 Asia/Shanghai for the week just ended, and kept
(XLSX and PDF) for download. Every worker replica runs this; a lock per week and the unique
(kind, period, format) key make one copy. A worker that was down at 08:00 catches up when it starts."""

import asyncio
import uuid
from datetime import UTC, datetime, time, timedelta
from uuid import UUID

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from opsdesk_shared.db import advisory_lock
from opsdesk_shared.documents.render import MEDIA_TYPES, Format, file_bytes
from opsdesk_shared.errors import NotFound
from reporting.archive.schemas import ArchivedFile, ArchivedReport
from reporting.config import ReportingSettings
from reporting.periods import LOCAL, Period, week_of
from reporting.reports.filters import Filters
from reporting.reports.weekly import weekly, weekly_document

log = structlog.get_logger(__name__)
ARCHIVED_FORMATS = (Format.xlsx, Format.pdf)

_SAVE = text(
    "INSERT INTO report_archive (id, kind, period, format, filename, media_type, content, generated_at) "
    "VALUES (:id, 'weekly', :period, :format, :filename, :media_type, :content, :at) "
    "ON CONFLICT (kind, period, format) DO UPDATE SET content = EXCLUDED.content, filename = EXCLUDED.filename,"
    " generated_at = EXCLUDED.generated_at WHERE CAST(:replace AS boolean)"
)


def last_due(now: datetime, hour: int) -> datetime:
    """The latest Monday `hour`:00 local at or before `now`."""
    local = now.astimezone(LOCAL)
    monday = local.date() - timedelta(days=local.weekday())
    due = datetime.combine(monday, time(hour), LOCAL)
    if due > local:
        due -= timedelta(days=7)
    return due.astimezone(UTC)


def week_due_at(due: datetime) -> Period:
    """The week a Monday's report is about: the one that ended the day before."""
    return week_of(due.astimezone(LOCAL).date() - timedelta(days=1))


async def archive_week(
    session: AsyncSession, settings: ReportingSettings, week: Period, *, replace: bool = False
) -> bool:
    """Generate and keep the week's report; False when it was already kept (and not to be replaced)."""
    await advisory_lock(session, f"archive:weekly:{week.label}")
    exists = await session.scalar(
        text("SELECT EXISTS (SELECT 1 FROM report_archive WHERE kind = 'weekly' AND period = :p)"), {"p": week.label}
    )
    if exists and not replace:
        return False
    filters = Filters(week)
    document = weekly_document(await weekly(session, filters), filters)
    for fmt in ARCHIVED_FORMATS:
        await session.execute(
            _SAVE,
            {
                "id": uuid.uuid4(),
                "period": week.label,
                "format": fmt.value,
                "filename": f"{document.filename}.{fmt.value}",
                "media_type": MEDIA_TYPES[fmt],
                "content": await file_bytes(document, fmt, settings.report_font_path),
                "at": document.generated_at,
                "replace": replace,
            },
        )
    log.info("weekly_report_archived", week=week.label)
    return True


class WeeklyArchiver:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: ReportingSettings) -> None:
        self.sessions = sessions
        self.settings = settings

    async def run_once(self, now: datetime) -> bool:
        week = week_due_at(last_due(now, self.settings.weekly_archive_hour))
        async with self.sessions() as session, session.begin():
            return await archive_week(session, self.settings, week)

    async def __call__(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            now = datetime.now(UTC)
            try:
                await self.run_once(now)
            except Exception as exc:  # database away or a render failure: try again within the hour
                log.warning("weekly_report_archive_failed", error=repr(exc)[:300])
            next_due = last_due(now, self.settings.weekly_archive_hour) + timedelta(days=7)
            # Wake at the next due instant, or hourly, whichever is first (clock changes, failed tries).
            wait_s = max(1.0, min(3600.0, (next_due - datetime.now(UTC)).total_seconds()))
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait_s)
            except TimeoutError:
                pass


async def list_archived(session: AsyncSession, limit: int) -> list[ArchivedReport]:
    rows = await session.execute(
        text(
            "SELECT id, kind, period, format, filename, octet_length(content) AS size_bytes, generated_at "
            "FROM report_archive ORDER BY period DESC, format LIMIT :n"
        ),
        {"n": limit},
    )
    return [ArchivedReport.model_validate(row, from_attributes=True) for row in rows]


async def archived_file(session: AsyncSession, report_id: UUID) -> ArchivedFile:
    row = (
        await session.execute(
            text("SELECT filename, media_type, content FROM report_archive WHERE id = :id"), {"id": report_id}
        )
    ).first()
    if row is None:
        raise NotFound("no archived report with this id", code="report.not_found")
    return ArchivedFile.model_validate(row, from_attributes=True)
