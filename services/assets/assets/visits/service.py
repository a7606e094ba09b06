"""User visits' rules with the database: plans owe each covered unit a visit per period (made by the worker,
idempotently), visits are recorded once by the vendor's staff, the unit answers a satisfaction survey, and
a hidden risk becomes a ticket in one step (announced for intake, which answers with the ticket number)."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from assets.directory import service as directory
from assets.directory.models import Unit
from assets.inspections.rules import SHANGHAI, local_day
from assets.training import access
from assets.visits import rules
from assets.visits.models import Visit, VisitPlan, VisitRisk
from assets.visits.rules import Period, VisitStatus
from assets.visits.schemas import PlanCreate, PlanPatch, SurveyIn, VisitCreate, VisitRecord
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.assets import VisitRecorded, VisitRiskRaised, VisitScheduled, VisitSurveyed
from opsdesk_shared.contracts.assets import VisitRisk as VisitRiskData
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import VisitRiskTicketed
from opsdesk_shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from opsdesk_shared.messaging.outbox import add_event
from opsdesk_shared.phones import normalise_phone

PRODUCER = "assets"
# How far back (or ahead) a plan may start: its past periods' visits are owed (and shown overdue) at once, so
# a plan "since 1990" would make decades of visits for every unit.
BACKDATE_DAYS = 366


def now() -> datetime:
    return datetime.now(UTC)


def window(visit: Visit) -> rules.Window:
    return rules.Window(visit.due_from, visit.due_by)


def standing(visit: Visit, today: date | None = None) -> rules.Standing:
    return rules.standing(VisitStatus(visit.status), window(visit), today or local_day(now()))


# Plans ----------------------------------------------------------------------------------------------------


async def create_plan(session: AsyncSession, principal: Principal, cmd: PlanCreate) -> VisitPlan:
    access.require_arranger(principal, "visit plans")
    if cmd.root_unit_id is not None and await session.get(Unit, cmd.root_unit_id) is None:
        raise RuleViolation(f"no unit {cmd.root_unit_id}", field="root_unit_id", code="visit.unit_unknown")
    at = now()
    starts_on = cmd.starts_on or local_day(at)
    if not local_day(at) - timedelta(days=BACKDATE_DAYS) <= starts_on <= local_day(at) + timedelta(days=BACKDATE_DAYS):
        raise RuleViolation(
            f"a visit plan starts at most {BACKDATE_DAYS} days back or ahead",
            field="starts_on",
            code="visit.backdated",
            params={"days": BACKDATE_DAYS},
        )
    plan = VisitPlan(
        id=uuid4(),
        name=cmd.name,
        unit_kind=cmd.unit_kind.value,
        root_unit_id=cmd.root_unit_id,
        period=cmd.period.value,
        starts_on=starts_on,
        active=True,
        version=1,
        created_at=at,
        created_by=principal.subject,
        updated_at=at,
        updated_by=principal.subject,
    )
    session.add(plan)
    await session.flush()
    await schedule_plan(session, plan, at)  # the visits it owes now are listed at once, not at the next tick
    return plan


async def get_plan(session: AsyncSession, plan_id: UUID, *, for_update: bool = False) -> VisitPlan:
    plan = await session.get(VisitPlan, plan_id, with_for_update=for_update)
    if plan is None:
        raise NotFound(f"no visit plan {plan_id}", field="plan_id")
    return plan


async def patch_plan(session: AsyncSession, principal: Principal, plan_id: UUID, cmd: PlanPatch) -> VisitPlan:
    access.require_arranger(principal, "visit plans")
    plan = await get_plan(session, plan_id, for_update=True)
    for name, value in cmd.model_dump(exclude_unset=True).items():
        if value is None:
            raise RuleViolation(f"{name} cannot be emptied", field=name, code="visit.field_required")
        setattr(plan, name, value)
    plan.version += 1
    plan.updated_at, plan.updated_by = now(), principal.subject
    await session.flush()
    return plan


async def list_plans(session: AsyncSession) -> Sequence[VisitPlan]:
    return (await session.scalars(select(VisitPlan).order_by(VisitPlan.name))).all()


async def _units(session: AsyncSession) -> list[Unit]:
    return list(await session.scalars(select(Unit)))


async def schedule_plan(session: AsyncSession, plan: VisitPlan, at: datetime, units: list[Unit] | None = None) -> int:
    """The visits this plan owes up to today's period, one per covered unit and window, each announced once
    (the (plan, unit, window) triple is unique: any number of workers, any number of passes). Returns how
    many were made."""
    units = units if units is not None else await _units(session)
    by_id = {u.id: u for u in units}
    nodes = [rules.UnitNode(u.id, u.kind, tuple(u.path or [u.id])) for u in units]
    covered = rules.covered(nodes, plan.unit_kind, plan.root_unit_id)
    made = 0
    for win in rules.windows_due(Period(plan.period), plan.starts_on, local_day(at)):
        for unit_id in covered:
            made += await _owe(session, by_id[unit_id], win, at, plan_id=plan.id, created_by=None) is not None
    return made


async def _owe(
    session: AsyncSession,
    unit: Unit,
    win: rules.Window,
    at: datetime,
    *,
    plan_id: UUID | None,
    created_by: UUID | None,
    scheduled_on: date | None = None,
) -> UUID | None:
    """The visit owed, announced; None when this plan owes it already."""
    visit_id = uuid4()
    statement = insert(Visit).values(
        id=visit_id,
        plan_id=plan_id,
        unit_id=unit.id,
        unit_name=unit.name,
        unit_path=list(unit.path or [unit.id]),
        due_from=win.first,
        due_by=win.last,
        scheduled_on=scheduled_on,
        status=VisitStatus.PLANNED,
        version=1,
        created_at=at,
        created_by=created_by,
    )
    inserted = await session.scalar(
        statement.on_conflict_do_nothing(constraint="visit_plan_id_unit_id_due_from_key").returning(Visit.id)
    )
    if inserted is None:
        return None
    await add_event(
        session,
        VisitScheduled(
            visit_id=visit_id,
            plan_id=plan_id,
            unit_id=unit.id,
            unit_name=unit.name,
            due_from=win.first,
            due_by=win.last,
            scheduled_at=at,
        ),
        producer=PRODUCER,
    )
    return visit_id


async def schedule_all(session: AsyncSession, at: datetime) -> int:
    """The worker's pass: every active plan's owed visits (a new period begun, a new station opened)."""
    plans = (await session.scalars(select(VisitPlan).where(VisitPlan.active).with_for_update(skip_locked=True))).all()
    if not plans:
        return 0
    units = await _units(session)
    return sum([await schedule_plan(session, plan, at, units) for plan in plans])


# Visits ---------------------------------------------------------------------------------------------------


def _scope(principal: Principal) -> Any:
    if access.sees_all(principal):
        return Visit.id.is_not(None)
    if principal.unit_id is None:
        return Visit.id.is_(None)
    return Visit.unit_path.contains([principal.unit_id])


async def arrange(session: AsyncSession, principal: Principal, cmd: VisitCreate) -> Visit:
    access.require_arranger(principal, "visits")
    unit = await session.get(Unit, cmd.unit_id)
    if unit is None:
        raise RuleViolation(f"no unit {cmd.unit_id}", field="unit_id", code="visit.unit_unknown")
    due_by = cmd.due_by or cmd.scheduled_on
    if due_by < cmd.scheduled_on:
        raise RuleViolation("due_by is before scheduled_on", field="due_by", code="visit.due_before_scheduled")
    at = now()
    win = rules.Window(cmd.scheduled_on, due_by)
    # Outside any plan, nothing makes it unique: each arranged visit is a visit of its own.
    visit_id = await _owe(
        session, unit, win, at, plan_id=None, created_by=principal.subject, scheduled_on=cmd.scheduled_on
    )
    visit = await session.get(Visit, visit_id)
    assert visit is not None
    return visit


async def get(session: AsyncSession, principal: Principal, visit_id: UUID, *, for_update: bool = False) -> Visit:
    visit = await session.scalar(
        select(Visit).where(Visit.id == visit_id, _scope(principal)).with_for_update(of=Visit) if for_update
        else select(Visit).where(Visit.id == visit_id, _scope(principal))
    )  # fmt: skip
    if visit is None:
        raise NotFound(f"no visit {visit_id}", field="visit_id")
    return visit


async def list_visible(
    session: AsyncSession,
    principal: Principal,
    *,
    status: VisitStatus | None = None,
    unit_id: UUID | None = None,
    due_after: date | None = None,
    limit: int = 500,
) -> Sequence[Visit]:
    query = select(Visit).where(_scope(principal))
    if status:
        query = query.where(Visit.status == status)
    if unit_id:
        query = query.where(Visit.unit_path.contains([unit_id]))
    if due_after:
        query = query.where(Visit.due_by >= due_after)
    return (await session.scalars(query.order_by(Visit.due_by, Visit.unit_name).limit(limit))).all()


async def risk_counts(session: AsyncSession, visit_ids: list[UUID]) -> dict[UUID, int]:
    if not visit_ids:
        return {}
    rows = await session.execute(
        select(VisitRisk.visit_id, func.count()).where(VisitRisk.visit_id.in_(visit_ids)).group_by(VisitRisk.visit_id)
    )
    return {visit_id: count for visit_id, count in rows.all()}


async def risks_of(session: AsyncSession, visit_id: UUID) -> Sequence[VisitRisk]:
    query = select(VisitRisk).where(VisitRisk.visit_id == visit_id).order_by(VisitRisk.position)
    return (await session.scalars(query)).all()


async def record(
    session: AsyncSession, principal: Principal, visit_id: UUID, cmd: VisitRecord, *, phone_region: str = "CN"
) -> Visit:
    """The visit done, written up by the caller (the visitor). Once: a visit recorded already is refused."""
    access.require_arranger(principal, "visits")
    visit = await get(session, principal, visit_id, for_update=True)
    if visit.status == VisitStatus.DONE:
        raise Conflict(
            f"this visit was recorded already by {visit.visitor_name}",
            field="visit_id",
            rule="visit-recorded-once",
            code="visit.recorded_already",
            params={"visitor": visit.visitor_name or ""},
        )
    if visit.status == VisitStatus.CANCELLED:
        raise Conflict("this visit was cancelled", field="visit_id", code="visit.cancelled")
    at = now()
    visited_at = cmd.visited_at or at
    if visited_at.tzinfo is None:
        visited_at = visited_at.replace(tzinfo=SHANGHAI)
    if visited_at > at:
        raise RuleViolation("a visit is recorded after it happened", field="visited_at", code="visit.in_future")
    phone = normalise_phone(cmd.contact_phone, phone_region, field="contact_phone")
    visitor = await directory.name_of(session, principal)
    visit.status = VisitStatus.DONE
    visit.visited_at, visit.visitor_id, visit.visitor_name = visited_at, principal.subject, visitor
    visit.companions, visit.contact_name, visit.contact_phone = cmd.companions, cmd.contact_name, phone
    visit.usage, visit.checked, visit.environment, visit.proposals = (
        cmd.usage,
        cmd.checked,
        cmd.environment,
        cmd.proposals,
    )
    visit.version += 1
    risks = [
        VisitRisk(id=uuid4(), visit_id=visit.id, position=i, description=r.description) for i, r in enumerate(cmd.risks)
    ]
    session.add_all(risks)
    await session.flush()
    await add_event(
        session,
        VisitRecorded(
            visit_id=visit.id,
            plan_id=visit.plan_id,
            unit_id=visit.unit_id,
            unit_name=visit.unit_name,
            due_from=visit.due_from,
            due_by=visit.due_by,
            visited_at=visited_at,
            visitor_id=principal.subject,
            visitor_name=visitor,
            risks=[VisitRiskData(risk_id=r.id, description=r.description) for r in risks],
        ),
        producer=PRODUCER,
    )
    return visit


async def survey(session: AsyncSession, principal: Principal, visit_id: UUID, cmd: SurveyIn) -> Visit:
    """The visited unit's satisfaction: answered by its own people (or taken down by the visitor); a later
    answer replaces the earlier."""
    visit = await get(session, principal, visit_id, for_update=True)
    if not (access.arranges(principal) or (principal.unit_id and principal.unit_id in visit.unit_path)):
        raise Forbidden("the visited unit answers its satisfaction survey", code="forbidden")
    if visit.status != VisitStatus.DONE:
        raise Conflict("a visit is rated once it has been recorded", field="visit_id", code="visit.not_recorded")
    at = now()
    visit.satisfaction, visit.satisfaction_comment = cmd.satisfaction, cmd.comment
    visit.surveyed_at, visit.surveyed_by = at, principal.subject
    visit.version += 1
    await session.flush()
    await add_event(
        session,
        VisitSurveyed(
            visit_id=visit.id, unit_id=visit.unit_id, satisfaction=cmd.satisfaction, comment=cmd.comment, surveyed_at=at
        ),
        producer=PRODUCER,
    )
    return visit


async def raise_ticket(session: AsyncSession, principal: Principal, visit_id: UUID, risk_id: UUID) -> VisitRisk:
    """The hidden risk to become a ticket, in one step: recorded here and announced in the same transaction
    (intake files it, channel `visit`). Asking again changes nothing: one risk, one ticket."""
    access.require_arranger(principal, "visits")
    visit = await get(session, principal, visit_id, for_update=True)
    risk = await risk_of(session, visit, risk_id)
    if risk.raised_at is not None:
        return risk
    at = now()
    risk.raised_at, risk.raised_by = at, principal.subject
    await session.flush()
    await add_event(
        session,
        VisitRiskRaised(
            risk_id=risk.id,
            visit_id=visit.id,
            unit_id=visit.unit_id,
            unit_name=visit.unit_name,
            description=risk.description,
            contact_name=visit.contact_name or visit.unit_name,
            contact_phone=visit.contact_phone or "",
            visitor_id=principal.subject,
            visitor_name=await directory.name_of(session, principal),
            raised_at=at,
        ),
        producer=PRODUCER,
    )
    return risk


async def risk_of(session: AsyncSession, visit: Visit, risk_id: UUID) -> VisitRisk:
    risk = await session.get(VisitRisk, risk_id)
    if risk is None or risk.visit_id != visit.id:
        raise NotFound(f"no risk {risk_id} on this visit", field="risk_id")
    return risk


async def apply_ticketed(session: AsyncSession, envelope: Envelope) -> None:
    """Intake's answer: the risk's ticket number, kept for the visit's page."""
    ticketed = envelope.parse(VisitRiskTicketed)
    risk = await session.get(VisitRisk, ticketed.risk_id, with_for_update=True)
    if risk is not None and risk.ticket_id is None:
        risk.ticket_id, risk.ticket_number = ticketed.ticket_id, ticketed.number
