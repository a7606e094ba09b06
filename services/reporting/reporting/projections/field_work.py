"""Training sessions and user visits from the assets service's events (and intake's answer to a visit's
hidden risk, and the measure a risk was proposed as): the facts of the reports' training and visits sections.
Every handler upserts, so the facts come out the same in any arrival order; a session's newest version wins."""

import json
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.assets import (
    TrainingFeedbackGiven,
    TrainingSessionSaved,
    TrainingSignedIn,
    VisitRecorded,
    VisitRiskMeasureProposed,
    VisitScheduled,
    VisitSurveyed,
)
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import VisitRiskTicketed

_SESSION = text(
    "INSERT INTO training_session_fact AS s (session_id, topic, trainer, place, starts_at, ends_at,"
    " audience_unit_ids, cancelled, materials, applied_version)"
    " VALUES (:id, :topic, :trainer, :place, :starts_at, :ends_at, :audience, :cancelled, CAST(:materials AS jsonb),"
    " :version)"
    " ON CONFLICT (session_id) DO UPDATE SET topic = EXCLUDED.topic, trainer = EXCLUDED.trainer,"
    " place = EXCLUDED.place, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,"
    " audience_unit_ids = EXCLUDED.audience_unit_ids, cancelled = EXCLUDED.cancelled,"
    " materials = EXCLUDED.materials, applied_version = EXCLUDED.applied_version"
    " WHERE s.applied_version < EXCLUDED.applied_version"
)
_SIGNED_IN = text(
    "INSERT INTO training_attendance_fact AS a (session_id, user_id, display_name, unit_id, signed_in_at)"
    " VALUES (:session_id, :user_id, :name, :unit_id, :at)"
    " ON CONFLICT (session_id, user_id) DO UPDATE SET display_name = EXCLUDED.display_name,"
    " unit_id = EXCLUDED.unit_id, signed_in_at = EXCLUDED.signed_in_at"
)
_RATED = text(
    "INSERT INTO training_attendance_fact AS a (session_id, user_id, rating, rated_at)"
    " VALUES (:session_id, :user_id, :rating, :at)"
    " ON CONFLICT (session_id, user_id) DO UPDATE SET rating = EXCLUDED.rating, rated_at = EXCLUDED.rated_at"
    " WHERE a.rated_at IS NULL OR a.rated_at <= EXCLUDED.rated_at"
)
_VISIT_OWED = text(
    "INSERT INTO visit_fact AS v (visit_id, plan_id, unit_id, unit_name, due_from, due_by)"
    " VALUES (:id, :plan_id, :unit_id, :unit_name, :due_from, :due_by)"
    " ON CONFLICT (visit_id) DO UPDATE SET plan_id = EXCLUDED.plan_id, unit_name = EXCLUDED.unit_name,"
    " due_from = EXCLUDED.due_from, due_by = EXCLUDED.due_by"
)
_VISIT_DONE = text(
    "INSERT INTO visit_fact AS v (visit_id, plan_id, unit_id, unit_name, due_from, due_by, visited_at, visitor_name)"
    " VALUES (:id, :plan_id, :unit_id, :unit_name, :due_from, :due_by, :visited_at, :visitor)"
    " ON CONFLICT (visit_id) DO UPDATE SET visited_at = EXCLUDED.visited_at, visitor_name = EXCLUDED.visitor_name,"
    " unit_name = EXCLUDED.unit_name, due_from = EXCLUDED.due_from, due_by = EXCLUDED.due_by"
)
_SURVEYED = text(
    "INSERT INTO visit_fact AS v (visit_id, unit_id, satisfaction, surveyed_at)"
    " VALUES (:id, :unit_id, :satisfaction, :at)"
    " ON CONFLICT (visit_id) DO UPDATE SET satisfaction = EXCLUDED.satisfaction, surveyed_at = EXCLUDED.surveyed_at"
    " WHERE v.surveyed_at IS NULL OR v.surveyed_at <= EXCLUDED.surveyed_at"
)
_RISK = text(
    "INSERT INTO visit_risk_fact AS r (risk_id, visit_id, description) VALUES (:id, :visit_id, :description)"
    " ON CONFLICT (risk_id) DO UPDATE SET description = EXCLUDED.description"
)
_TICKETED = text(
    "INSERT INTO visit_risk_fact AS r (risk_id, visit_id, ticket_id, ticket_number)"
    " VALUES (:id, :visit_id, :ticket_id, :number)"
    " ON CONFLICT (risk_id) DO UPDATE SET ticket_id = EXCLUDED.ticket_id, ticket_number = EXCLUDED.ticket_number"
)

_MEASURED = text(
    "INSERT INTO visit_risk_fact AS r (risk_id, visit_id, measure_id, measure_title)"
    " VALUES (:id, :visit_id, :measure_id, :title)"
    " ON CONFLICT (risk_id) DO UPDATE SET measure_id = EXCLUDED.measure_id, measure_title = EXCLUDED.measure_title"
)


async def session_saved(session: AsyncSession, envelope: Envelope) -> UUID | None:
    s = envelope.parse(TrainingSessionSaved)
    await session.execute(
        _SESSION,
        {
            "id": s.session_id,
            "topic": s.topic,
            "trainer": s.trainer,
            "place": s.place,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "audience": list(s.audience_unit_ids),
            "cancelled": s.cancelled,
            "materials": json.dumps([m.model_dump(mode="json") for m in s.materials], ensure_ascii=False),
            "version": s.aggregate_version,
        },
    )
    return None


async def signed_in(session: AsyncSession, envelope: Envelope) -> UUID | None:
    s = envelope.parse(TrainingSignedIn)
    params = {"session_id": s.session_id, "user_id": s.user_id, "name": s.display_name, "unit_id": s.unit_id}
    await session.execute(_SIGNED_IN, {**params, "at": s.signed_in_at})
    return None


async def feedback_given(session: AsyncSession, envelope: Envelope) -> UUID | None:
    f = envelope.parse(TrainingFeedbackGiven)
    await session.execute(
        _RATED, {"session_id": f.session_id, "user_id": f.user_id, "rating": f.rating, "at": f.given_at}
    )
    return None


async def visit_scheduled(session: AsyncSession, envelope: Envelope) -> UUID | None:
    v = envelope.parse(VisitScheduled)
    await session.execute(
        _VISIT_OWED,
        {
            "id": v.visit_id,
            "plan_id": v.plan_id,
            "unit_id": v.unit_id,
            "unit_name": v.unit_name,
            "due_from": v.due_from,
            "due_by": v.due_by,
        },
    )
    return None


async def visit_recorded(session: AsyncSession, envelope: Envelope) -> UUID | None:
    v = envelope.parse(VisitRecorded)
    await session.execute(
        _VISIT_DONE,
        {
            "id": v.visit_id,
            "plan_id": v.plan_id,
            "unit_id": v.unit_id,
            "unit_name": v.unit_name,
            "due_from": v.due_from,
            "due_by": v.due_by,
            "visited_at": v.visited_at,
            "visitor": v.visitor_name,
        },
    )
    for risk in v.risks:
        await session.execute(_RISK, {"id": risk.risk_id, "visit_id": v.visit_id, "description": risk.description})
    return None


async def visit_surveyed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    v = envelope.parse(VisitSurveyed)
    params = {"id": v.visit_id, "unit_id": v.unit_id, "satisfaction": v.satisfaction, "at": v.surveyed_at}
    await session.execute(_SURVEYED, params)
    return None


async def risk_ticketed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    t = envelope.parse(VisitRiskTicketed)
    params = {"id": t.risk_id, "visit_id": t.visit_id, "ticket_id": t.ticket_id, "number": t.number}
    await session.execute(_TICKETED, params)
    return None


async def risk_measure_proposed(session: AsyncSession, envelope: Envelope) -> UUID | None:
    m = envelope.parse(VisitRiskMeasureProposed)
    params = {"id": m.risk_id, "visit_id": m.visit_id, "measure_id": m.measure_id, "title": m.title}
    await session.execute(_MEASURED, params)
    return None


HANDLERS = {
    TrainingSessionSaved.type: session_saved,
    TrainingSignedIn.type: signed_in,
    TrainingFeedbackGiven.type: feedback_given,
    VisitScheduled.type: visit_scheduled,
    VisitRecorded.type: visit_recorded,
    VisitSurveyed.type: visit_surveyed,
    VisitRiskTicketed.type: risk_ticketed,
    VisitRiskMeasureProposed.type: risk_measure_proposed,
}
