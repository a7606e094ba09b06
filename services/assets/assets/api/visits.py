"""/api/visits: user visits (定期访问最终用户 / 回访) — plans that owe each unit a visit per period, visits
recorded once, the unit's satisfaction survey, and a hidden risk raised as a ticket or proposed as an
improvement measure in one step."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from assets.api import measures as measure_api
from assets.api.dependencies import Arranger, FieldWorkReader, MeasureProposer, Person, Settings
from assets.measures.schemas import MeasureDetail, RiskMeasureIn
from assets.training import access
from assets.visits import risk_measures, service
from assets.visits.models import Visit
from assets.visits.rules import VisitStatus
from assets.visits.schemas import (
    PlanCreate,
    PlanOut,
    PlanPatch,
    RiskOut,
    SurveyIn,
    VisitCreate,
    VisitDetail,
    VisitOut,
    VisitRecord,
)
from opsdesk_shared.auth import Principal
from opsdesk_shared.dependencies import ReadSession, Uow
from opsdesk_shared.phones import mask_phone

router = APIRouter(prefix="/api/visits", tags=["visits"])


@router.post("/plans", status_code=status.HTTP_201_CREATED, response_model=PlanOut)
async def create_plan(body: PlanCreate, principal: Arranger, uow: Uow) -> PlanOut:
    """E.g. every 分局 each quarter, every 派出所 each year; the visits owed now are made at once."""
    return PlanOut.model_validate(await service.create_plan(uow, principal, body))


@router.get("/plans", response_model=list[PlanOut])
async def list_plans(principal: FieldWorkReader, session: ReadSession) -> list[PlanOut]:
    return [PlanOut.model_validate(p) for p in await service.list_plans(session)]


@router.patch("/plans/{plan_id}", response_model=PlanOut)
async def patch_plan(plan_id: UUID, body: PlanPatch, principal: Arranger, uow: Uow) -> PlanOut:
    return PlanOut.model_validate(await service.patch_plan(uow, principal, plan_id, body))


async def _outs(session: AsyncSession, visits: list[Visit]) -> list[VisitOut]:
    counts = await service.risk_counts(session, [v.id for v in visits])
    outs = []
    for visit in visits:
        out = VisitOut.model_validate(visit)
        out.standing, out.risks_found = service.standing(visit), counts.get(visit.id, 0)
        outs.append(out)
    return outs


async def _detail(session: AsyncSession, principal: Principal, visit: Visit) -> VisitDetail:
    [out] = await _outs(session, [visit])
    detail = VisitDetail(
        **out.model_dump(),
        **{f: getattr(visit, f) for f in VisitDetail.model_fields if f not in VisitOut.model_fields and f != "risks"},
        risks=[RiskOut.model_validate(r) for r in await service.risks_of(session, visit.id)],
    )
    measures = await risk_measures.measures_of(session, visit.id)
    for risk in detail.risks:
        risk.measure_id = measures.get(risk.id)
    if detail.contact_phone and not access.arranges(principal):
        detail.contact_phone = mask_phone(detail.contact_phone)
    return detail


@router.post("", status_code=status.HTTP_201_CREATED, response_model=VisitDetail)
async def arrange_visit(body: VisitCreate, principal: Arranger, uow: Uow) -> VisitDetail:
    """A visit outside any plan (e.g. after repeated faults at a station)."""
    return await _detail(uow, principal, await service.arrange(uow, principal, body))


@router.get("", response_model=list[VisitOut])
async def list_visits(
    principal: Person,
    session: ReadSession,
    visit_status: Annotated[VisitStatus | None, Query(alias="status")] = None,
    unit_id: Annotated[UUID | None, Query(description="this unit and its subtree")] = None,
    due_after: Annotated[date | None, Query(description="only visits due on or after this day")] = None,
) -> list[VisitOut]:
    """The visits the caller may see: all for the vendor's staff and supervisors, else their unit's subtree."""
    visits = await service.list_visible(session, principal, status=visit_status, unit_id=unit_id, due_after=due_after)
    return await _outs(session, list(visits))


@router.get("/{visit_id}", response_model=VisitDetail)
async def get_visit(visit_id: UUID, principal: Person, session: ReadSession) -> VisitDetail:
    return await _detail(session, principal, await service.get(session, principal, visit_id))


@router.post("/{visit_id}/record", response_model=VisitDetail)
async def record_visit(
    visit_id: UUID, body: VisitRecord, principal: Arranger, uow: Uow, settings: Settings
) -> VisitDetail:
    """The visit written up by its visitor: whom they met, what was checked, the environment, hidden risks
    and proposals. A visit is recorded once; a second record is refused (409)."""
    visit = await service.record(uow, principal, visit_id, body, phone_region=settings.default_phone_region)
    return await _detail(uow, principal, visit)


@router.put("/{visit_id}/survey", response_model=VisitDetail)
async def survey_visit(visit_id: UUID, body: SurveyIn, principal: Person, uow: Uow) -> VisitDetail:
    """The visited unit's satisfaction (1–5) and comment."""
    return await _detail(uow, principal, await service.survey(uow, principal, visit_id, body))


@router.post("/{visit_id}/risks/{risk_id}/ticket", status_code=status.HTTP_202_ACCEPTED, response_model=RiskOut)
async def raise_ticket(visit_id: UUID, risk_id: UUID, principal: Arranger, uow: Uow) -> RiskOut:
    """The hidden risk becomes a ticket (channel `visit`, the unit's contact as requester): accepted here at
    once, filed by intake a moment later; the risk then shows the ticket's number. Asking twice files one."""
    return RiskOut.model_validate(await service.raise_ticket(uow, principal, visit_id, risk_id))


@router.post(
    "/{visit_id}/risks/{risk_id}/measure",
    status_code=status.HTTP_201_CREATED,
    response_model=MeasureDetail,
    responses={200: {"description": "proposed as a measure already: that one", "model": MeasureDetail}},
)
async def propose_measure(
    visit_id: UUID,
    risk_id: UUID,
    principal: MeasureProposer,
    uow: Uow,
    response: Response,
    body: Annotated[RiskMeasureIn | None, Body()] = None,
) -> MeasureDetail:
    """The hidden risk becomes an improvement measure (改进措施) in one step, linked to the visit and the risk,
    proposed for the project manager's review; its title and proposal come from the risk and the visit's
    proposals unless given. Asking again answers 200 with the same measure."""
    measure, made = await risk_measures.propose_measure(uow, principal, visit_id, risk_id, body or RiskMeasureIn())
    if not made:
        response.status_code = status.HTTP_200_OK
    return await measure_api.detail(uow, principal, measure)
