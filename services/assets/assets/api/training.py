"""/api/training: training sessions (培训) — arranged by the vendor, signed in to by their audience with their
own accounts (the portal, or the QR code shown in the room, which opens the sign-in page after login), rated
by those who came, with the materials handed in."""

from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, File, Response, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from assets.api.dependencies import Arranger, FieldWorkReader, Person
from assets.training import access, service
from assets.training.models import TrainingSession
from assets.training.rules import MATERIAL_MAX_BYTES, state
from assets.training.schemas import (
    AttendeeOut,
    FeedbackIn,
    MaterialOut,
    SessionCreate,
    SessionDetail,
    SessionOut,
    SessionPatch,
)
from opsdesk_shared.auth import Principal
from opsdesk_shared.dependencies import ReadSession, Uow
from opsdesk_shared.errors import PayloadTooLarge

router = APIRouter(prefix="/api/training", tags=["training"])


async def _outs(session: AsyncSession, principal: Principal, trainings: list[TrainingSession]) -> list[SessionOut]:
    figures = await service.figures(session, principal, [t.id for t in trainings])
    at = service.now()
    outs = []
    for training in trainings:
        out = SessionOut.model_validate(training)
        out.state = state(service.window(training), at)
        out.attendees, out.mean_rating, out.signed_in = figures.get(training.id, (0, None, False))
        outs.append(out)
    return outs


async def _detail(session: AsyncSession, principal: Principal, training: TrainingSession) -> SessionDetail:
    [out] = await _outs(session, principal, [training])
    materials = [MaterialOut.model_validate(m) for m in await service.materials_of(session, training.id)]
    attendees = []
    if access.sees_all(principal):
        attendees = [AttendeeOut.model_validate(a) for a in await service.attendees(session, training.id)]
    return SessionDetail(**out.model_dump(), materials=materials, attendee_list=attendees)


@router.post("/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionDetail)
async def create_session(body: SessionCreate, principal: Arranger, uow: Uow) -> SessionDetail:
    return await _detail(uow, principal, await service.create(uow, principal, body))


@router.get("/sessions", response_model=list[SessionOut])
async def list_sessions(principal: Person, session: ReadSession, upcoming: bool = False) -> list[SessionOut]:
    """The sessions the caller may see: all for the vendor's staff and supervisors, else those for their
    unit (or a unit above or under it)."""
    return await _outs(session, principal, list(await service.list_visible(session, principal, upcoming_only=upcoming)))


@router.get("/sessions/{session_id}", response_model=SessionDetail)
async def get_session(session_id: UUID, principal: Person, session: ReadSession) -> SessionDetail:
    return await _detail(session, principal, await service.get(session, principal, session_id))


@router.patch("/sessions/{session_id}", response_model=SessionDetail)
async def patch_session(session_id: UUID, body: SessionPatch, principal: Arranger, uow: Uow) -> SessionDetail:
    return await _detail(uow, principal, await service.patch(uow, principal, session_id, body))


@router.post(
    "/sessions/{session_id}/sign-in",
    response_model=AttendeeOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "signed in before: the first sign-in", "model": AttendeeOut}},
)
async def sign_in(session_id: UUID, principal: Person, uow: Uow, response: Response) -> AttendeeOut:
    """The caller signs in with their own account while the session is open (from an hour before its start
    until its end). Signing in again answers the first sign-in (200)."""
    attendance, new = await service.sign_in(uow, principal, session_id)
    if not new:
        response.status_code = status.HTTP_200_OK
    return AttendeeOut.model_validate(attendance)


@router.put("/sessions/{session_id}/feedback", response_model=AttendeeOut)
async def give_feedback(session_id: UUID, body: FeedbackIn, principal: Person, uow: Uow) -> AttendeeOut:
    """An attendee's rating (1–5) and comments, once the session has begun; a later one replaces it."""
    return AttendeeOut.model_validate(await service.give_feedback(uow, principal, session_id, body))


@router.get("/sessions/{session_id}/attendees", response_model=list[AttendeeOut])
async def list_attendees(session_id: UUID, principal: FieldWorkReader, session: ReadSession) -> list[AttendeeOut]:
    await service.get(session, principal, session_id)
    return [AttendeeOut.model_validate(a) for a in await service.attendees(session, session_id)]


@router.post("/sessions/{session_id}/materials", status_code=status.HTTP_201_CREATED, response_model=MaterialOut)
async def add_material(
    session_id: UUID,
    file: Annotated[UploadFile, File(description="PDF, Word, PowerPoint, Excel, text or PNG/JPEG; at most 10 MiB")],
    principal: Arranger,
    uow: Uow,
) -> MaterialOut:
    content = await file.read(MATERIAL_MAX_BYTES + 1)
    if len(content) > MATERIAL_MAX_BYTES:
        raise PayloadTooLarge(f"a material is at most {MATERIAL_MAX_BYTES} bytes", field="file")
    material = await service.add_material(uow, principal, session_id, file.filename or "", content)
    return MaterialOut.model_validate(material)


@router.get("/sessions/{session_id}/materials/{material_id}", response_class=Response)
async def download_material(session_id: UUID, material_id: UUID, principal: Person, session: ReadSession) -> Response:
    material = await service.material(session, principal, session_id, material_id)
    return Response(
        material.content,
        media_type=material.content_type,
        headers={
            "Content-Disposition": f"attachment; filename=material; filename*=UTF-8''{quote(material.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
