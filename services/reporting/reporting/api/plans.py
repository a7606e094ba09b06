"""`/api/reports/weekly/{week}/plan`: next week's work plan, printed in the week's report."""

from fastapi import APIRouter

from opsdesk_shared.dependencies import ReadSession, Uow
from reporting import periods
from reporting.api.dependencies import ContractReader, PlanWriter
from reporting.plans.schemas import PlanIn, PlanOut
from reporting.plans.service import get_plan, put_plan

router = APIRouter(prefix="/api/reports/weekly", tags=["reports"])


@router.get("/{week}/plan", response_model=PlanOut)
async def get_weekly_plan(week: str, _: ContractReader, session: ReadSession) -> PlanOut:
    """The week's plan alone (an empty one if not written yet), without computing the whole report."""
    return await get_plan(session, periods.iso_week(week))


@router.put("/{week}/plan", response_model=PlanOut)
async def put_weekly_plan(week: str, body: PlanIn, principal: PlanWriter, uow: Uow) -> PlanOut:
    """Next week's work plan, printed in the week's report (written by the vendor's dispatcher or admin)."""
    return await put_plan(uow, periods.iso_week(week), body.plan, principal.username)
