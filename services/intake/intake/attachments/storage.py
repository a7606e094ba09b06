"""Where attachment bytes live, behind a small interface: PostgreSQL today (one backup covers
everything); an object store (MinIO/S3) can implement the same three calls."""

from typing import Protocol

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from intake.attachments.models import AttachmentBlob


class AttachmentStore(Protocol):
    async def put(self, session: AsyncSession, key: str, data: bytes) -> None: ...

    async def get(self, session: AsyncSession, key: str) -> bytes | None: ...


class PostgresAttachmentStore:
    """Bytes in `attachment_blob`, written in the caller's transaction: metadata and bytes commit together."""

    async def put(self, session: AsyncSession, key: str, data: bytes) -> None:
        await session.execute(insert(AttachmentBlob).values(key=key, data=data).on_conflict_do_nothing())

    async def get(self, session: AsyncSession, key: str) -> bytes | None:
        blob = await session.get(AttachmentBlob, key)
        return blob.data if blob else None
