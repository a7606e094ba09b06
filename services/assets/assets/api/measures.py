"""/api/measures: improvement measures (改进措施), proposed, reviewed by the vendor's project manager,
reported to the bureau and tracked to verification."""

from uuid import UUID

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from assets.api.dependencies import MeasureProposer, MeasureReader, MeasureStepTaker
from assets.measures import rules, service
from assets.measures.models import Measure
from assets.measures.rules import MeasureState
from assets.measures.schemas import MeasureCreate, MeasureDetail, MeasureOut, StepOut, StepTake
from opsdesk_shared.auth import Principal
from opsdesk_shared.dependencies import ReadSession, Uow

router = APIRouter(prefix="/api/measures", tags=["improvement measures"])


async def detail(session: AsyncSession, principal: Principal, measure: Measure) -> MeasureDetail:
    steps = [StepOut.model_validate(s) for s in await service.steps_of(session, measure.id)]
    actions = rules.actions_open(MeasureState(measure.state), principal.roles)
    return MeasureDetail(**MeasureOut.model_validate(measure).model_dump(), steps=steps, actions=actions)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MeasureDetail)
async def propose(body: MeasureCreate, principal: MeasureProposer, uow: Uow) -> MeasureDetail:
    return await detail(uow, principal, await service.propose(uow, principal, body))


@router.get("", response_model=list[MeasureOut])
async def list_measures(
    principal: MeasureReader,
    session: ReadSession,
    state: MeasureState | None = None,
    finding_id: UUID | None = None,
    round_id: UUID | None = None,
    visit_id: UUID | None = None,
) -> list[MeasureOut]:
    measures = await service.listing(session, state, finding_id, round_id, visit_id)
    return [MeasureOut.model_validate(m) for m in measures]


@router.get("/{measure_id}", response_model=MeasureDetail)
async def get_measure(measure_id: UUID, principal: MeasureReader, session: ReadSession) -> MeasureDetail:
    return await detail(session, principal, await service.get(session, measure_id))


@router.post("/{measure_id}/steps", response_model=MeasureDetail)
async def take_step(measure_id: UUID, body: StepTake, principal: MeasureStepTaker, uow: Uow) -> MeasureDetail:
    """accept / reject (the project manager, with a comment), report (to the bureau), plan (`planned_on`),
    complete, verify (the bureau's supervisor); a step out of turn is refused naming the rule."""
    return await detail(uow, principal, await service.take_step(uow, principal, measure_id, body))
