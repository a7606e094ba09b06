"""Training sessions' rules with the database: arranged by the vendor, seen by their audience, signed in to
once per person while open, rated by those who came; each change announced for the reports."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from assets.directory import service as directory
from assets.directory.models import Unit
from assets.inspections.rules import SHANGHAI
from assets.training import access, rules
from assets.training.models import TrainingAttendance, TrainingMaterialFile, TrainingSession
from assets.training.schemas import FeedbackIn, SessionCreate, SessionPatch
from opsdesk_shared.auth import Principal
from opsdesk_shared.contracts.assets import (
    TrainingFeedbackGiven,
    TrainingMaterial,
    TrainingSessionSaved,
    TrainingSignedIn,
)
from opsdesk_shared.errors import Conflict, NotFound, PayloadTooLarge, RuleViolation
from opsdesk_shared.messaging.outbox import add_event

PRODUCER = "assets"


def now() -> datetime:
    return datetime.now(UTC)


def window(session_: TrainingSession) -> rules.Window:
    return rules.Window(session_.starts_at, session_.ends_at, session_.cancelled)


async def _check_units(session: AsyncSession, unit_ids: list[UUID]) -> None:
    known = set(await session.scalars(select(Unit.id).where(Unit.id.in_(unit_ids))))
    unknown = [u for u in unit_ids if u not in known]
    if unknown:
        raise RuleViolation(
            f"no unit {unknown[0]}: units arrive from the gateway's events; retry shortly if it was just created",
            field="audience_unit_ids",
            code="training.unit_unknown",
        )


async def _announce(session: AsyncSession, training: TrainingSession) -> None:
    materials = await materials_of(session, training.id)
    await add_event(
        session,
        TrainingSessionSaved(
            session_id=training.id,
            topic=training.topic,
            trainer=training.trainer,
            place=training.place,
            starts_at=training.starts_at,
            ends_at=training.ends_at,
            audience_unit_ids=list(training.audience_unit_ids),
            cancelled=training.cancelled,
            materials=[
                TrainingMaterial(material_id=m.id, filename=m.filename, content_type=m.content_type, size=m.size)
                for m in materials
            ],
            aggregate_version=training.version,
        ),
        producer=PRODUCER,
    )


async def create(session: AsyncSession, principal: Principal, cmd: SessionCreate) -> TrainingSession:
    access.require_arranger(principal, "training sessions")
    audience = list(dict.fromkeys(cmd.audience_unit_ids))
    await _check_units(session, audience)
    at = now()
    training = TrainingSession(
        id=uuid4(),
        **cmd.model_dump(exclude={"audience_unit_ids"}),
        audience_unit_ids=audience,
        cancelled=False,
        version=1,
        created_at=at,
        created_by=principal.subject,
        updated_at=at,
        updated_by=principal.subject,
    )
    session.add(training)
    await session.flush()
    await _announce(session, training)
    return training


async def _units_below(session: AsyncSession, unit_id: UUID) -> tuple[list[UUID], set[UUID]]:
    """The caller's unit path (root down to it) and the units under it."""
    own = await session.get(Unit, unit_id)
    below = set(await session.scalars(select(Unit.id).where(Unit.path.contains([unit_id]), Unit.id != unit_id)))
    return (list(own.path) if own and own.path else [unit_id]), below


async def audience_filter(session: AsyncSession, principal: Principal) -> Any:
    """The WHERE clause of the sessions the caller may see."""
    if access.sees_all(principal):
        return TrainingSession.id.is_not(None)
    if principal.unit_id is None:
        return TrainingSession.id.is_(None)
    path, below = await _units_below(session, principal.unit_id)
    return TrainingSession.audience_unit_ids.overlap([*path, *below])


async def get(
    session: AsyncSession, principal: Principal, session_id: UUID, *, for_update: bool = False
) -> TrainingSession:
    training = await session.get(TrainingSession, session_id, with_for_update=for_update)
    if training is None:
        raise NotFound(f"no training session {session_id}", field="session_id")
    if not access.sees_all(principal):
        path, below = await _units_below(session, principal.unit_id) if principal.unit_id else ([], set())
        if not access.in_audience(list(training.audience_unit_ids), path, below):
            # Not theirs: as if it did not exist (no telling a foreign unit what is planned elsewhere).
            raise NotFound(f"no training session {session_id}", field="session_id")
    return training


async def patch(session: AsyncSession, principal: Principal, session_id: UUID, cmd: SessionPatch) -> TrainingSession:
    access.require_arranger(principal, "training sessions")
    training = await get(session, principal, session_id, for_update=True)
    changes = cmd.model_dump(exclude_unset=True)
    for required in ("topic", "trainer", "place", "starts_at", "ends_at", "audience_unit_ids", "cancelled"):
        if required in changes and changes[required] is None:
            raise RuleViolation(f"{required} cannot be emptied", field=required, code="training.field_required")
    if "audience_unit_ids" in changes:
        changes["audience_unit_ids"] = list(dict.fromkeys(changes["audience_unit_ids"]))
        await _check_units(session, changes["audience_unit_ids"])
    starts, ends = changes.get("starts_at", training.starts_at), changes.get("ends_at", training.ends_at)
    if ends <= starts:
        raise RuleViolation("ends_at must be after starts_at", field="ends_at", code="training.ends_before_start")
    for name, value in changes.items():
        setattr(training, name, value)
    training.version += 1
    training.updated_at, training.updated_by = now(), principal.subject
    await session.flush()
    await _announce(session, training)
    return training


async def list_visible(
    session: AsyncSession, principal: Principal, *, upcoming_only: bool = False, limit: int = 200
) -> Sequence[TrainingSession]:
    query = select(TrainingSession).where(await audience_filter(session, principal))
    if upcoming_only:
        query = query.where(TrainingSession.ends_at > now(), TrainingSession.cancelled.is_(False))
    return (await session.scalars(query.order_by(TrainingSession.starts_at.desc()).limit(limit))).all()


async def figures(
    session: AsyncSession, principal: Principal, session_ids: list[UUID]
) -> dict[UUID, tuple[int, float | None, bool]]:
    """Per session: attendees, mean rating, whether the caller signed in."""
    if not session_ids:
        return {}
    rows = await session.execute(
        select(
            TrainingAttendance.session_id,
            func.count(),
            func.avg(TrainingAttendance.rating),
            func.bool_or(TrainingAttendance.user_id == principal.subject),
        )
        .where(TrainingAttendance.session_id.in_(session_ids))
        .group_by(TrainingAttendance.session_id)
    )
    return {sid: (n, round(float(mean), 2) if mean is not None else None, bool(mine)) for sid, n, mean, mine in rows}


async def attendees(session: AsyncSession, session_id: UUID) -> Sequence[TrainingAttendance]:
    query = select(TrainingAttendance).where(TrainingAttendance.session_id == session_id)
    return (await session.scalars(query.order_by(TrainingAttendance.signed_in_at))).all()


async def sign_in(session: AsyncSession, principal: Principal, session_id: UUID) -> tuple[TrainingAttendance, bool]:
    """The caller signed in with their own account (from the portal or the room's QR code); a second sign-in
    answers the first (False: nothing new). Refused on a session not open for sign-in, by rule."""
    training = await get(session, principal, session_id)
    at = now()
    earlier = await session.scalar(
        select(TrainingAttendance).where(
            TrainingAttendance.session_id == session_id, TrainingAttendance.user_id == principal.subject
        )
    )
    if earlier is not None:
        return earlier, False
    refusal = rules.sign_in_refusal(window(training), at)
    if refusal == rules.SignInRefusal.ENDED:
        raise Conflict(
            "this training session has ended: sign-in is closed",
            field="session_id",
            rule="sign-in-while-open",
            code="training.ended",
        )
    if refusal == rules.SignInRefusal.CANCELLED:
        raise Conflict("this training session was cancelled", field="session_id", code="training.cancelled")
    if refusal == rules.SignInRefusal.NOT_OPEN:
        opens = (training.starts_at - rules.SIGN_IN_OPENS_BEFORE).astimezone(SHANGHAI)
        raise Conflict(
            f"sign-in opens at {opens:%Y-%m-%d %H:%M}",
            field="session_id",
            rule="sign-in-while-open",
            code="training.sign_in_not_open",
            params={"opens": f"{opens:%m-%d %H:%M}"},
        )
    unit = await session.get(Unit, principal.unit_id) if principal.unit_id else None
    name = await directory.name_of(session, principal)
    # Two devices at once (the portal and the QR code): the pair is unique, the loser reads the winner's row.
    inserted = await session.scalar(
        insert(TrainingAttendance)
        .values(
            id=uuid4(),
            session_id=session_id,
            user_id=principal.subject,
            display_name=name,
            unit_id=principal.unit_id,
            unit_name=unit.name if unit else None,
            signed_in_at=at,
        )
        .on_conflict_do_nothing(constraint="training_attendance_session_id_user_id_key")
        .returning(TrainingAttendance.id)
    )
    row = await session.scalar(
        select(TrainingAttendance)
        .where(TrainingAttendance.session_id == session_id, TrainingAttendance.user_id == principal.subject)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    if inserted is None:
        return row, False
    await add_event(
        session,
        TrainingSignedIn(
            session_id=session_id,
            user_id=principal.subject,
            display_name=name,
            unit_id=principal.unit_id,
            signed_in_at=at,
        ),
        producer=PRODUCER,
    )
    return row, True


async def give_feedback(
    session: AsyncSession, principal: Principal, session_id: UUID, cmd: FeedbackIn
) -> TrainingAttendance:
    training = await get(session, principal, session_id)
    row = await session.scalar(
        select(TrainingAttendance)
        .where(TrainingAttendance.session_id == session_id, TrainingAttendance.user_id == principal.subject)
        .with_for_update()
    )
    at = now()
    if row is None:
        raise RuleViolation(
            "only an attendee who signed in rates a session",
            field="rating",
            rule="attendees-rate",
            code="training.feedback_not_attendee",
        )
    if not rules.may_give_feedback(window(training), at, signed_in=True):
        raise RuleViolation(
            "a session is rated once it has begun (and was not cancelled)",
            field="rating",
            rule="attendees-rate",
            code="training.feedback_too_early",
        )
    row.rating, row.comment, row.rated_at = cmd.rating, cmd.comment, at
    await session.flush()
    await add_event(
        session,
        TrainingFeedbackGiven(
            session_id=session_id, user_id=principal.subject, rating=cmd.rating, comment=cmd.comment, given_at=at
        ),
        producer=PRODUCER,
    )
    return row


async def materials_of(session: AsyncSession, session_id: UUID) -> Sequence[TrainingMaterialFile]:
    query = select(TrainingMaterialFile).where(TrainingMaterialFile.session_id == session_id)
    return (await session.scalars(query.order_by(TrainingMaterialFile.uploaded_at))).all()


async def add_material(
    session: AsyncSession, principal: Principal, session_id: UUID, filename: str, content: bytes
) -> TrainingMaterialFile:
    access.require_arranger(principal, "training materials")
    training = await get(session, principal, session_id, for_update=True)
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or len(name) > 200:
        raise RuleViolation(
            "the file needs a name of at most 200 characters", field="file", code="training.material_name"
        )
    content_type = rules.material_type(name)
    if content_type is None:
        raise RuleViolation(
            "materials are PDF, Word, PowerPoint, Excel, text or PNG/JPEG pictures",
            field="file",
            code="training.material_type",
            params={"types": ", ".join(sorted(rules.MATERIAL_TYPES))},
        )
    if len(content) > rules.MATERIAL_MAX_BYTES:
        raise PayloadTooLarge(f"a material is at most {rules.MATERIAL_MAX_BYTES} bytes", field="file")
    if not content:
        raise RuleViolation("the file is empty", field="file", code="training.material_empty")
    at = now()
    material = TrainingMaterialFile(
        id=uuid4(),
        session_id=session_id,
        filename=name,
        content_type=content_type,
        size=len(content),
        content=content,
        uploaded_at=at,
        uploaded_by=principal.subject,
    )
    session.add(material)
    training.version += 1
    training.updated_at, training.updated_by = at, principal.subject
    await session.flush()
    await _announce(session, training)
    return material


async def material(
    session: AsyncSession, principal: Principal, session_id: UUID, material_id: UUID
) -> TrainingMaterialFile:
    await get(session, principal, session_id)
    found = await session.scalar(
        select(TrainingMaterialFile)
        .where(TrainingMaterialFile.id == material_id, TrainingMaterialFile.session_id == session_id)
        .options(undefer(TrainingMaterialFile.content))
    )
    if found is None:
        raise NotFound(f"no material {material_id} in this session", field="material_id")
    return found
