"""`GET /api/reports/monthly?month=2026-11`: the monthly operations bulletin (运行情况通报) the contract asks the
vendor to send the bureau regularly: the devices' online rate first (设备在线率: by class, by unit, the devices
that were down), then the month's service volume and SLA compliance with its breaches."""

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Document
from reporting.reports.availability import AvailabilityReport, availability, availability_tables
from reporting.reports.breaches import Breach, breach_table, breaches
from reporting.reports.filters import Filters
from reporting.reports.summary import Summary, summarize, summary_sections


class MonthlyBulletin(BaseModel):
    month: str
    availability: AvailabilityReport
    summary: Summary
    breaches: list[Breach]


async def monthly(session: AsyncSession, filters: Filters) -> MonthlyBulletin:
    return MonthlyBulletin(
        month=filters.period.label,
        availability=await availability(session, filters),
        summary=await summarize(session, filters, with_traffic=True),
        breaches=(await breaches(session, filters)).breaches,
    )


def monthly_document(report: MonthlyBulletin, filters: Filters) -> Document:
    return Document(
        title=f"运行情况通报 Monthly operations bulletin {report.month}",
        period=filters.period,
        generated_at=report.summary.generated_at,
        filename=f"monthly_{report.month}",
        sections=[
            *availability_tables(report.availability),
            *summary_sections(report.summary),
            breach_table("SLA 超时明细 SLA breaches", report.breaches),
        ],
    )
