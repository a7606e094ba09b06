"""Canned replies (常用回复): stock answers staff pick while commenting, kept by admins."""

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.canned_replies.models import CannedReply
from intake.canned_replies.schemas import CannedReplyIn, CannedReplyPatch
from intake.tickets.service import now
from opsdesk_shared.errors import Conflict, NotFound


async def list_all(session: AsyncSession) -> list[CannedReply]:
    return list((await session.execute(select(CannedReply).order_by(CannedReply.title))).scalars())


async def _get(session: AsyncSession, reply_id: UUID, *, lock: bool = False) -> CannedReply:
    reply = await session.get(CannedReply, reply_id, with_for_update=lock)
    if reply is None:
        raise NotFound(f"canned reply {reply_id} not found", code="canned_reply.not_found")
    return reply


async def _refuse_taken_title(session: AsyncSession, title: str, but: UUID | None = None) -> None:
    taken = await session.scalar(select(CannedReply.id).where(func.lower(CannedReply.title) == title.lower()))
    if taken is not None and taken != but:
        raise Conflict(f"a canned reply is already called {title!r}", field="title", code="canned_reply.title_taken")


async def create(session: AsyncSession, body: CannedReplyIn) -> CannedReply:
    await _refuse_taken_title(session, body.title)
    at = now()
    reply = CannedReply(title=body.title, body=body.body, created_at=at, updated_at=at)
    session.add(reply)
    await session.flush()
    return reply


async def update(session: AsyncSession, reply_id: UUID, body: CannedReplyPatch) -> CannedReply:
    reply = await _get(session, reply_id, lock=True)
    if body.title is not None:
        await _refuse_taken_title(session, body.title, but=reply.id)
        reply.title = body.title
    if body.body is not None:
        reply.body = body.body
    reply.updated_at = now()
    await session.flush()
    return reply


async def delete(session: AsyncSession, reply_id: UUID) -> None:
    await session.delete(await _get(session, reply_id))
