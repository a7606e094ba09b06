"""Screenshots and photos on a ticket: at most 10 MiB each, and only what they claim to be — the type is
read from the file's first bytes, and must agree with the declared type and the file name."""

import hashlib
from collections.abc import Callable
from pathlib import PurePath
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.attachments.models import Attachment
from intake.attachments.storage import AttachmentStore
from intake.tickets.models import TicketEvent
from intake.tickets.service import get_ticket, now
from opsdesk_shared.auth import Principal
from opsdesk_shared.errors import NotFound, PayloadTooLarge, RuleViolation

MAX_BYTES = 10 * 1024 * 1024

# content type -> (accepted file extensions, signature check)
KINDS: dict[str, tuple[frozenset[str], Callable[[bytes], bool]]] = {
    "image/png": (frozenset({".png"}), lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "image/jpeg": (frozenset({".jpg", ".jpeg"}), lambda b: b.startswith(b"\xff\xd8\xff")),
    "image/gif": (frozenset({".gif"}), lambda b: b[:6] in (b"GIF87a", b"GIF89a")),
    "image/webp": (frozenset({".webp"}), lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP"),
    "image/bmp": (frozenset({".bmp"}), lambda b: b.startswith(b"BM")),
    "application/pdf": (frozenset({".pdf"}), lambda b: b.startswith(b"%PDF-")),
}


def sniff(data: bytes) -> str | None:
    for content_type, (_, check) in KINDS.items():
        if check(data):
            return content_type
    return None


def check(filename: str, declared: str | None, data: bytes, max_bytes: int = MAX_BYTES) -> str:
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"attachments are at most {max_bytes // (1024 * 1024)} MiB each",
            field="file",
            code="attachment.too_large",
            params={"max_mib": max_bytes // (1024 * 1024)},
        )
    if not data:
        raise RuleViolation("the file is empty", field="file", code="attachment.empty")
    actual = sniff(data)
    if actual is None:
        raise RuleViolation(
            "only images (PNG, JPEG, GIF, WebP, BMP) and PDF documents are accepted",
            field="file",
            code="attachment.type_not_allowed",
        )
    declared_type = (declared or "").split(";")[0].strip().lower()
    if declared_type and declared_type not in (actual, "application/octet-stream"):
        raise RuleViolation(
            f"the file says it is {declared_type} but its content is {actual}",
            field="file",
            code="attachment.type_mismatch",
        )
    extension = PurePath(filename).suffix.lower()
    if extension not in KINDS[actual][0]:
        raise RuleViolation(
            f"a {actual} file must be named {'/'.join(sorted(KINDS[actual][0]))}",
            field="file",
            code="attachment.bad_extension",
        )
    return actual


async def attach(
    session: AsyncSession,
    store: AttachmentStore,
    principal: Principal,
    ticket_id: UUID,
    filename: str,
    declared: str | None,
    data: bytes,
) -> Attachment:
    ticket = await get_ticket(session, principal, ticket_id, lock=True)
    content_type = check(filename, declared, data)
    digest = hashlib.sha256(data).hexdigest()
    clean_name = PurePath(filename).name[:200]
    await store.put(session, f"sha256:{digest}", data)  # same bytes twice are stored once
    attachment = Attachment(
        ticket_id=ticket.id,
        filename=clean_name,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        storage_key=f"sha256:{digest}",
        uploaded_by=principal.subject,
        at=now(),
    )
    session.add(attachment)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="attachment",
            actor_id=principal.subject,
            actor_name=principal.username,
            detail={"attachment_id": str(attachment.id), "filename": clean_name},
            at=attachment.at,
        )
    )
    await session.flush()
    return attachment


async def list_for(session: AsyncSession, ticket_id: UUID) -> list[Attachment]:
    rows = await session.execute(select(Attachment).where(Attachment.ticket_id == ticket_id).order_by(Attachment.at))
    return list(rows.scalars())


async def read(
    session: AsyncSession, store: AttachmentStore, principal: Principal, ticket_id: UUID, attachment_id: UUID
) -> tuple[Attachment, bytes]:
    await get_ticket(session, principal, ticket_id)
    attachment = await session.get(Attachment, attachment_id)
    if attachment is None or attachment.ticket_id != ticket_id:
        raise NotFound(f"no attachment {attachment_id} on this ticket", code="attachment.not_found")
    data = await store.get(session, attachment.storage_key)
    if data is None:
        raise NotFound("the attachment's content is missing from the store", code="attachment.content_missing")
    return attachment, data
