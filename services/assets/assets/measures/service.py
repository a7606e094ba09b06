"""Improvement measures with the database: proposed (from a finding, a round, or freely), then taken step by
step through the life cycle of rules.py, each step appended to the measure's history in the same
transaction; a review announced as `measure.reviewed` through the outbox."""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assets.directory import service as directory
from assets.inspections.models import Finding, InspectionRound
from assets.measures import rules
from assets.measures.models import Measure, MeasureStep
from assets.measures.rules import REVIEW_OUTCOMES, MeasureAction, MeasureState, StepRefused
from assets.measures.schemas import MeasureCreate, StepTake
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.assets import MeasureReviewed
from opsdesk_shared.errors import Conflict, DomainError, Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event

PRODUCER = "assets"
PROPOSE = "propose"


def now() -> datetime:
    return datetime.now(UTC)


async def _origin(session: AsyncSession, cmd: MeasureCreate) -> tuple[UUID | None, UUID | None]:
    """The finding and round it came from, both checked; a finding brings its round."""
    round_id = cmd.round_id
    if cmd.finding_id is not None:
        finding = await session.get(Finding, cmd.finding_id)
        if finding is None:
            raise RuleViolation(f"finding_id: no finding {cmd.finding_id}", field="finding_id",
                                code="measure.finding_unknown")  # fmt: skip
        if round_id is not None and round_id != finding.round_id:
            raise RuleViolation("round_id: the finding was raised on another round", field="round_id",
                                code="measure.round_mismatch")  # fmt: skip
        round_id = finding.round_id
    elif round_id is not None and await session.get(InspectionRound, round_id) is None:
        raise RuleViolation(f"round_id: no inspection round {round_id}", field="round_id",
                            code="measure.round_unknown")  # fmt: skip
    return cmd.finding_id, round_id


def _step(measure: Measure, principal: Principal, name: str, action: str, from_state: str | None, at: datetime,
          comment: str | None = None) -> MeasureStep:  # fmt: skip
    return MeasureStep(
        id=uuid4(),
        measure_id=measure.id,
        action=action,
        from_state=from_state,
        to_state=measure.state,
        comment=comment,
        planned_on=measure.planned_on if action == MeasureAction.PLAN else None,
        at=at,
        by=principal.subject,
        by_name=name,
    )


async def propose(session: AsyncSession, principal: Principal, cmd: MeasureCreate) -> Measure:
    finding_id, round_id = await _origin(session, cmd)
    return await add_proposed(
        session, principal, title=cmd.title, problem=cmd.problem, proposal=cmd.proposal,
        finding_id=finding_id, round_id=round_id,
    )  # fmt: skip


async def add_proposed(
    session: AsyncSession,
    principal: Principal,
    *,
    title: str,
    problem: str,
    proposal: str,
    finding_id: UUID | None = None,
    round_id: UUID | None = None,
    visit_id: UUID | None = None,
    visit_risk_id: UUID | None = None,
) -> Measure:
    """A new measure in state proposed, with its first step; its origin checked by the caller."""
    name = await directory.name_of(session, principal)
    at = now()
    measure = Measure(
        id=uuid4(),
        title=title,
        problem=problem,
        proposal=proposal,
        finding_id=finding_id,
        round_id=round_id,
        visit_id=visit_id,
        visit_risk_id=visit_risk_id,
        state=MeasureState.PROPOSED,
        planned_on=None,
        proposed_at=at,
        proposed_by=principal.subject,
        proposed_by_name=name,
        updated_at=at,
        version=1,
    )
    session.add(measure)
    await session.flush()
    session.add(_step(measure, principal, name, PROPOSE, None, at))
    await session.flush()
    return measure


async def get(session: AsyncSession, measure_id: UUID, *, for_update: bool = False) -> Measure:
    measure = await session.get(Measure, measure_id, with_for_update=for_update)
    if measure is None:
        raise NotFound(f"no improvement measure {measure_id}", code="measure.not_found")
    return measure


def _refusal(exc: StepRefused) -> DomainError:
    """The pure rule's refusal as problem+json: 403 for the role, 409 for the state, 422 for a missing field."""
    kind = {"forbidden": Forbidden, "conflict": Conflict}.get(exc.kind, RuleViolation)
    return kind(
        exc.detail,
        field=exc.field,
        rule=exc.rule,
        code=f"measure.{exc.rule.removeprefix('measure-').replace('-', '_')}",
    )


async def take_step(session: AsyncSession, principal: Principal, measure_id: UUID, cmd: StepTake) -> Measure:
    measure = await get(session, measure_id, for_update=True)
    if cmd.version is not None and cmd.version != measure.version:
        raise Conflict(
            f"version: the measure changed since it was read (now version {measure.version})",
            field="version",
            rule="measure-stale",
            code="measure.stale",
        )
    before = MeasureState(measure.state)
    try:
        after = rules.check_step(cmd.action, before, principal.roles, has_comment=bool(cmd.comment),
                                 has_date=cmd.planned_on is not None)  # fmt: skip
    except StepRefused as exc:
        raise _refusal(exc) from exc
    name = await directory.name_of(session, principal)
    at = now()
    measure.state = after
    if cmd.action == MeasureAction.PLAN:
        measure.planned_on = cmd.planned_on
    measure.updated_at = at
    measure.version += 1
    session.add(_step(measure, principal, name, cmd.action, before, at, cmd.comment))
    if cmd.action in REVIEW_OUTCOMES:
        await add_event(
            session,
            MeasureReviewed(
                measure_id=measure.id,
                title=measure.title,
                outcome=REVIEW_OUTCOMES[cmd.action],
                comment=cmd.comment,
                finding_id=measure.finding_id,
                round_id=measure.round_id,
                proposed_by=measure.proposed_by,
                proposed_by_name=measure.proposed_by_name,
                reviewed_by=principal.subject,
                reviewed_by_name=name,
                reviewed_at=at,
                aggregate_version=measure.version,
            ),
            producer=PRODUCER,
        )
    await session.flush()
    return measure


async def listing(
    session: AsyncSession,
    state: MeasureState | None,
    finding_id: UUID | None,
    round_id: UUID | None,
    visit_id: UUID | None = None,
) -> Sequence[Measure]:
    query = select(Measure).order_by(Measure.updated_at.desc())
    if state:
        query = query.where(Measure.state == state)
    if finding_id:
        query = query.where(Measure.finding_id == finding_id)
    if round_id:
        query = query.where(Measure.round_id == round_id)
    if visit_id:
        query = query.where(Measure.visit_id == visit_id)
    return (await session.scalars(query.limit(1000))).all()


async def steps_of(session: AsyncSession, measure_id: UUID) -> Sequence[MeasureStep]:
    query = select(MeasureStep).where(MeasureStep.measure_id == measure_id).order_by(MeasureStep.at, MeasureStep.id)
    return (await session.scalars(query)).all()
