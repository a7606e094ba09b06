"""A visit's hidden risk proposed as an improvement measure in one step (issue 20), beside the ticket it may also
become (service.raise_ticket): the measure linked to the visit and the risk, one per risk, announced as
`visit.risk_measure_proposed` for the reports' "what became of each risk"."""

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.inspections.rules import SHANGHAI
from assets.measures import service as measures
from assets.measures.models import Measure
from assets.measures.rules import PROPOSERS
from assets.measures.schemas import RiskMeasureIn
from assets.visits.service import PRODUCER, get, risk_of
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.assets import VisitRiskMeasureProposed
from opsdesk_shared.errors import Forbidden
from opsdesk_shared.messaging.outbox import add_event

TITLE_CHARS = 200
NO_PROPOSAL = "（回访记录未提出整改建议，请在审核时补充）"


async def measures_of(session: AsyncSession, visit_id: UUID) -> dict[UUID, UUID]:
    """risk id -> the measure it was proposed as, for a visit's risks."""
    linked = select(Measure.visit_risk_id, Measure.id).where(Measure.visit_id == visit_id)
    rows = await session.execute(linked.where(Measure.visit_risk_id.is_not(None)))
    return {risk_id: measure_id for risk_id, measure_id in rows.all() if risk_id is not None}


async def propose_measure(
    session: AsyncSession, principal: Principal, visit_id: UUID, risk_id: UUID, cmd: RiskMeasureIn
) -> tuple[Measure, bool]:
    """The hidden risk proposed as an improvement measure in one step, linked to the visit and the risk, for the
    project manager's review like any other. Asking again returns the risk's measure (False: not made now); the
    visit's row lock orders two askers, the unique risk column backs it."""
    if not principal.has_any(*PROPOSERS):
        raise Forbidden("only the vendor's engineers, dispatchers and project manager propose measures",
                        rule="measure-proposer", code="auth.role_required")  # fmt: skip
    visit = await get(session, principal, visit_id, for_update=True)
    risk = await risk_of(session, visit, risk_id)
    existing = await session.scalar(select(Measure).where(Measure.visit_risk_id == risk.id))
    if existing is not None:
        return existing, False
    day = visit.visited_at.astimezone(SHANGHAI).date() if visit.visited_at else visit.due_by
    title = cmd.title or f"{visit.unit_name}回访隐患：{risk.description}"
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1] + "…"
    measure = await measures.add_proposed(
        session,
        principal,
        title=title,
        problem=f"{day} 回访{visit.unit_name}发现的隐患：{risk.description}",
        proposal=cmd.proposal or visit.proposals or NO_PROPOSAL,
        visit_id=visit.id,
        visit_risk_id=risk.id,
    )
    await add_event(
        session,
        VisitRiskMeasureProposed(
            risk_id=risk.id,
            visit_id=visit.id,
            unit_id=visit.unit_id,
            measure_id=measure.id,
            title=measure.title,
            proposed_by=principal.subject,
            proposed_by_name=measure.proposed_by_name,
            proposed_at=measure.proposed_at,
        ),
        producer=PRODUCER,
    )
    return measure, True
