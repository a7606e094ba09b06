"""The quarterly acceptance report (合同履行验收报告, `?quarter=2026Q4`) and the annual summary over the
contract year (`?year=2026`: 2026-05-29 – 2027-05-28): service volume, SLA compliance with every breach,
satisfaction, attendance, repair costs, the devices' online rate (设备在线率), the inspection completion rate
(rounds due / done / missed, findings per equipment class), the equipment ledger's changes, training sessions and
user visits; headed by the contract's
particulars and closed by the parties' signature block (甲方 the bureau, 乙方 the vendor)."""

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.documents.document import Document
from reporting.contract.schemas import ContractOut
from reporting.contract.service import contract_table, get_contract, signature_block
from reporting.reports.attendance import Attendance, attendance, attendance_table
from reporting.reports.availability import AvailabilityReport, availability, availability_tables
from reporting.reports.breaches import Breach, breach_table, breaches
from reporting.reports.costs import CostReport, cost_tables, costs
from reporting.reports.field_work import TrainingReport, VisitReport, training, training_tables, visit_tables, visits
from reporting.reports.filters import Filters
from reporting.reports.inspections import InspectionPeriod, inspection_period, inspection_period_sections
from reporting.reports.ledger_changes import LedgerChanges, ledger_changes, ledger_tables
from reporting.reports.summary import Summary, summarize, summary_sections


class AcceptanceReport(BaseModel):
    kind: str  # quarterly | annual
    period_label: str
    contract: ContractOut
    summary: Summary
    breaches: list[Breach]
    attendance: list[Attendance]
    costs: CostReport
    availability: AvailabilityReport
    inspections: InspectionPeriod
    ledger: LedgerChanges
    training: TrainingReport
    visits: VisitReport


async def acceptance(session: AsyncSession, filters: Filters, kind: str) -> AcceptanceReport:
    return AcceptanceReport(
        kind=kind,
        period_label=filters.period.label,
        contract=await get_contract(session),
        summary=await summarize(session, filters, with_traffic=True),
        breaches=(await breaches(session, filters)).breaches,
        attendance=await attendance(session, filters.period),
        costs=await costs(session, filters),
        availability=await availability(session, filters),
        inspections=await inspection_period(session, filters.period),
        ledger=await ledger_changes(session, filters.period),
        training=await training(session, filters.period),
        visits=await visits(session, filters.period),
    )


TITLES = {
    "quarterly": "合同履行验收报告 Quarterly acceptance report",
    "annual": "年度运维总结 Annual O&M report (contract year)",
}


def acceptance_document(report: AcceptanceReport, filters: Filters) -> Document:
    return Document(
        title=f"{TITLES[report.kind]} {report.period_label}",
        period=filters.period,
        generated_at=report.summary.generated_at,
        filename=f"{report.kind}_{filters.period.first_day}_{filters.period.last_day}",
        sections=[
            contract_table(report.contract),
            *summary_sections(report.summary),
            breach_table("SLA 超时明细 Every SLA breach", report.breaches),
            attendance_table(report.attendance),
            *cost_tables(report.costs),
            *availability_tables(report.availability),
            *inspection_period_sections(report.inspections, per_day=False),
            *ledger_tables(report.ledger),
            *training_tables(report.training),
            *visit_tables(report.visits),
            signature_block(report.contract),
        ],
    )
