"""Keeping the copies of tickets and work orders current from intake's and dispatch's events.

A ticket's events carry its version: the newest wins (`upsert_in_order`); what only `ticket.created` says
(channel, filing time) is filled in even when a later event overtook it. Work-order events carry no version:
their instant orders them. Each event is applied once (the consumer's inbox), and applying one twice would
change nothing anyway."""

from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from assets.tickets.models import TicketCopy, WorkOrderCopy
from opsdesk_shared.contracts.dispatch import WorkOrderAssigned, WorkOrderEvent, WorkOrderResolved
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketCreated, TicketStatusChanged, TicketUpdated
from opsdesk_shared.contracts.vocabulary import TicketStatus
from opsdesk_shared.messaging.ordering import upsert_in_order


def normal_tag(tag: str | None) -> str | None:
    """As the ledger writes tags: `by_tag` looks them up trimmed and in upper case."""
    cleaned = (tag or "").strip().upper()
    return cleaned or None


async def _apply(
    session: AsyncSession, envelope: Envelope, ticket_id: Any, values: dict[str, Any], version: int
) -> bool:
    return await upsert_in_order(
        session,
        envelope,
        TicketCopy,
        aggregate="ticket",
        key="ticket_id",
        key_value=ticket_id,
        values=values,
        event_version=version,
    )


async def apply_ticket_created(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.parse(TicketCreated)
    classification = {
        "title": event.title,
        "category": event.category.value,
        "priority": event.priority.value,
        "unit_id": event.unit_id,
        "asset_tag": normal_tag(event.asset_tag),
    }
    birth = {"channel": event.channel.value, "created_at": event.created_at}
    values = {"number": event.number, "status": event.status.value, **classification, **birth}
    if await _apply(session, envelope, event.ticket_id, values, event.aggregate_version):
        return
    # A later event of this ticket came first: keep what it set, add what only the filing knows.
    table = TicketCopy.__table__
    await session.execute(
        update(TicketCopy)
        .where(TicketCopy.ticket_id == event.ticket_id)
        .values(
            **birth,
            **{name: func.coalesce(table.c[name], value) for name, value in classification.items()},
        )
    )


async def apply_ticket_updated(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.parse(TicketUpdated)
    values = {
        "number": event.number,
        "title": event.title,
        "category": event.category.value,
        "priority": event.priority.value,
        "unit_id": event.unit_id,
        "asset_tag": normal_tag(event.asset_tag),
        "status": event.status.value,
    }
    await _apply(session, envelope, event.ticket_id, values, event.aggregate_version)


def status_instants(to_status: str, at: datetime) -> dict[str, datetime | None]:
    """When it was last resolved and closed; a reopened ticket is neither any more."""
    if to_status == TicketStatus.RESOLVED:
        return {"resolved_at": at}
    if to_status == TicketStatus.CLOSED:
        return {"closed_at": at}
    if to_status == TicketStatus.REOPENED:
        return {"resolved_at": None, "closed_at": None}
    return {}


async def apply_ticket_status(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.parse(TicketStatusChanged)
    values: dict[str, Any] = {"number": event.number, "status": event.to_status.value}
    values.update(status_instants(event.to_status.value, event.changed_at))
    await _apply(session, envelope, event.ticket_id, values, event.aggregate_version)


async def apply_work_order(session: AsyncSession, envelope: Envelope) -> None:
    event = envelope.parse(WorkOrderEvent)
    state = {"status": event.status, "engineer_name": event.engineer_name, "last_event_at": event.at}
    facts: dict[str, Any] = {}
    if envelope.type == WorkOrderAssigned.type:
        facts["assigned_at"] = event.at
    elif envelope.type == WorkOrderResolved.type:
        resolved = envelope.parse(WorkOrderResolved)
        facts.update(
            resolved_at=resolved.at,
            resolution_code=resolved.resolution_code,
            summary=resolved.summary,
            remote=resolved.remote,
        )
    inserted = await session.execute(
        insert(WorkOrderCopy)
        .values(work_order_id=event.work_order_id, ticket_id=event.ticket_id, **state, **facts)
        .on_conflict_do_nothing(index_elements=["work_order_id"])
        .returning(WorkOrderCopy.work_order_id)
    )
    if inserted.first() is not None:
        return
    # The row exists: its state follows the newest event, whichever arrives last; the facts only this event
    # knows are set whatever its age.
    await session.execute(
        update(WorkOrderCopy)
        .where(WorkOrderCopy.work_order_id == event.work_order_id, WorkOrderCopy.last_event_at <= event.at)
        .values(**state)
    )
    if facts:
        await session.execute(
            update(WorkOrderCopy).where(WorkOrderCopy.work_order_id == event.work_order_id).values(**facts)
        )
