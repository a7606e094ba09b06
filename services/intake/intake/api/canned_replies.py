"""/api/canned-replies: read by the staff who answer requesters, kept by admins."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Response, status

from intake.canned_replies import service
from intake.canned_replies.schemas import CannedReplyIn, CannedReplyOut, CannedReplyPatch
from opsdesk_shared.auth import Principal, Role, require_roles
from opsdesk_shared.dependencies import Uow

router = APIRouter(prefix="/api/canned-replies", tags=["canned replies"])

STAFF = (Role.HOTLINE_OPERATOR, Role.DISPATCHER, Role.ENGINEER, Role.SUPERVISOR, Role.PROJECT_MANAGER, Role.ADMIN)
Reader = Annotated[Principal, Depends(require_roles(*STAFF))]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.get("", response_model=list[CannedReplyOut])
async def list_replies(principal: Reader, uow: Uow) -> list[CannedReplyOut]:
    return [CannedReplyOut.model_validate(r, from_attributes=True) for r in await service.list_all(uow)]


@router.post("", response_model=CannedReplyOut, status_code=status.HTTP_201_CREATED)
async def create_reply(body: CannedReplyIn, principal: Admin, uow: Uow) -> CannedReplyOut:
    return CannedReplyOut.model_validate(await service.create(uow, body), from_attributes=True)


@router.patch("/{reply_id}", response_model=CannedReplyOut)
async def update_reply(reply_id: UUID, body: CannedReplyPatch, principal: Admin, uow: Uow) -> CannedReplyOut:
    return CannedReplyOut.model_validate(await service.update(uow, reply_id, body), from_attributes=True)


@router.delete("/{reply_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_reply(reply_id: UUID, principal: Admin, uow: Uow) -> Response:
    await service.delete(uow, reply_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
