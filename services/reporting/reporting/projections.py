"""Folding events into the read model. Every handler is idempotent and tolerates any arrival order:
a status change stamped earlier than the one already applied is ignored."""

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged
from reporting.models import StoredEvent, TicketFact


async def store(session: AsyncSession, envelope: Envelope) -> bool:
    stmt = (
        insert(StoredEvent)
        .values(
            id=envelope.id,
            type=envelope.type,
            occurred_at=envelope.occurred_at,
            producer=envelope.producer,
            envelope=envelope.model_dump(mode="json"),
            received_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return (await session.execute(stmt)).rowcount == 1


async def project(session: AsyncSession, envelope: Envelope) -> None:
    if envelope.type == TicketCreated.type:
        t = envelope.parse(TicketCreated)
        stmt = insert(TicketFact).values(
            ticket_id=t.ticket_id,
            number=t.number,
            category=t.category,
            priority=t.priority,
            status=t.status,
            unit_id=t.unit_id,
            channel=t.channel,
            created_at=t.created_at,
            status_changed_at=t.created_at,
        )
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["ticket_id"]))
        # Status changes that overtook this creation were stored but had no row to change: apply the newest.
        await session.execute(
            text(
                "UPDATE ticket_fact f SET status = e.envelope->'data'->>'to_status', "
                "status_changed_at = (e.envelope->'data'->>'changed_at')::timestamptz "
                "FROM (SELECT envelope FROM stored_event WHERE type = 'ticket.status_changed' "
                "      AND envelope->'data'->>'ticket_id' = :id "
                "      ORDER BY (envelope->'data'->>'changed_at')::timestamptz DESC LIMIT 1) e "
                "WHERE f.ticket_id = :uid AND (e.envelope->'data'->>'changed_at')::timestamptz >= f.status_changed_at"
            ),
            {"id": str(t.ticket_id), "uid": t.ticket_id},
        )
    elif envelope.type == TicketStatusChanged.type:
        c = envelope.parse(TicketStatusChanged)
        await session.execute(
            text(
                "UPDATE ticket_fact SET status = :s, status_changed_at = :at "
                "WHERE ticket_id = :id AND status_changed_at <= :at"
            ),
            {"s": c.to_status, "at": c.changed_at, "id": c.ticket_id},
        )


async def on_event(session: AsyncSession, envelope: Envelope) -> None:
    if await store(session, envelope):
        await project(session, envelope)
