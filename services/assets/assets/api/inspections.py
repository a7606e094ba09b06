"""/api/inspections: checklist templates, plans, each day's rounds and their findings (巡检)."""

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy.ext.asyncio import AsyncSession

from assets.api.dependencies import InspectionReader, Planner, Walker
from assets.inspections import service
from assets.inspections.models import InspectionRound
from assets.inspections.rules import RoundStatus
from assets.inspections.schemas import (
    FindingOut,
    PlanCreate,
    PlanOut,
    PlanPatch,
    RoundDetail,
    RoundOut,
    StopCheck,
    StopOut,
    TemplateCreate,
    TemplateOut,
    TemplatePatch,
)
from opsdesk_shared.contracts.vocabulary import AssetClass
from opsdesk_shared.dependencies import ReadSession, Uow

router = APIRouter(prefix="/api/inspections", tags=["inspections"])


@router.post("/templates", status_code=status.HTTP_201_CREATED, response_model=TemplateOut)
async def create_template(body: TemplateCreate, principal: Planner, uow: Uow) -> TemplateOut:
    return TemplateOut.model_validate(await service.create_template(uow, principal, body))


@router.get("/templates", response_model=list[TemplateOut])
async def list_templates(
    principal: InspectionReader, session: ReadSession, asset_class: AssetClass | None = None
) -> list[TemplateOut]:
    return [TemplateOut.model_validate(t) for t in await service.list_templates(session, asset_class)]


@router.get("/templates/{template_id}", response_model=TemplateOut)
async def get_template(template_id: UUID, principal: InspectionReader, session: ReadSession) -> TemplateOut:
    return TemplateOut.model_validate(await service.get_template(session, template_id))


@router.patch("/templates/{template_id}", response_model=TemplateOut)
async def patch_template(template_id: UUID, body: TemplatePatch, principal: Planner, uow: Uow) -> TemplateOut:
    return TemplateOut.model_validate(await service.patch_template(uow, principal, template_id, body))


@router.post("/plans", status_code=status.HTTP_201_CREATED, response_model=PlanOut)
async def create_plan(body: PlanCreate, principal: Planner, uow: Uow) -> PlanOut:
    return PlanOut.model_validate(await service.create_plan(uow, principal, body))


@router.get("/plans", response_model=list[PlanOut])
async def list_plans(principal: InspectionReader, session: ReadSession) -> list[PlanOut]:
    return [PlanOut.model_validate(p) for p in await service.list_plans(session)]


@router.get("/plans/{plan_id}", response_model=PlanOut)
async def get_plan(plan_id: UUID, principal: InspectionReader, session: ReadSession) -> PlanOut:
    return PlanOut.model_validate(await service.get_plan(session, plan_id))


@router.patch("/plans/{plan_id}", response_model=PlanOut)
async def patch_plan(plan_id: UUID, body: PlanPatch, principal: Planner, uow: Uow) -> PlanOut:
    return PlanOut.model_validate(await service.patch_plan(uow, principal, plan_id, body))


async def _outs(session: AsyncSession, rounds: list[InspectionRound]) -> list[RoundOut]:
    counts = await service.round_counts(session, [r.id for r in rounds])
    outs = []
    for round_ in rounds:
        out = RoundOut.model_validate(round_)
        out.stops_total, out.stops_checked, out.abnormal_items = counts.get(round_.id, (0, 0, 0))
        outs.append(out)
    return outs


async def _detail(session: AsyncSession, round_: InspectionRound) -> RoundDetail:
    [out] = await _outs(session, [round_])
    stops = [StopOut.model_validate(s) for s in await service.stops_of(session, round_.id)]
    return RoundDetail(**out.model_dump(), stops=stops)


@router.get("/rounds", response_model=list[RoundOut])
async def list_rounds(
    principal: InspectionReader,
    session: ReadSession,
    day: Annotated[date | None, Query(description="Asia/Shanghai; today when left out")] = None,
    round_status: Annotated[RoundStatus | None, Query(alias="status")] = None,
    plan_id: UUID | None = None,
) -> list[RoundOut]:
    rounds = list((await session.scalars(service.rounds_query(day, round_status, plan_id))).all())
    return await _outs(session, rounds)


@router.get("/rounds/{round_id}", response_model=RoundDetail)
async def get_round(round_id: UUID, principal: InspectionReader, session: ReadSession) -> RoundDetail:
    return await _detail(session, await service.get_round(session, round_id))


@router.put("/rounds/{round_id}/stops/{stop_id}", response_model=StopOut)
async def check_stop(round_id: UUID, stop_id: UUID, body: StopCheck, principal: Walker, uow: Uow) -> StopOut:
    """An asset of the round checked: every item's result (true/false, or a number), and a note."""
    return StopOut.model_validate(await service.check_stop(uow, principal, round_id, stop_id, body))


@router.post("/rounds/{round_id}/complete", response_model=RoundDetail)
async def complete_round(round_id: UUID, principal: Walker, uow: Uow) -> RoundDetail:
    return await _detail(uow, await service.complete(uow, principal, round_id))


@router.get("/findings", response_model=list[FindingOut])
async def list_findings(
    principal: InspectionReader,
    session: ReadSession,
    day: Annotated[date | None, Query(description="Asia/Shanghai; today when left out")] = None,
    round_id: UUID | None = None,
) -> list[FindingOut]:
    return [FindingOut.model_validate(f) for f in await service.findings(session, day, round_id)]
