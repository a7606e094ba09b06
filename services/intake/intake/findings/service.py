"""Inspection findings become tickets (SPEC §2a, issue 16): `inspection.finding_raised` opens a ticket on the
channel `inspection` for the asset's unit, the inspecting engineer as its reporter, no requester to text; a
dispatcher or the project manager confirms its resolution. A later abnormal reading of the same asset's
item, while that ticket is open, adds a line to its timeline instead of opening another. Either way
`finding.ticketed` says which ticket the finding became (assets shows it, reporting reports it).

Exactly once: the inbox records the event with its effect; beside it the finding's row is the finding's own
key, so the same finding arriving under another event id (a republished event) changes nothing either."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.directory import service as directory
from intake.directory.models import KnownUser
from intake.findings import wording
from intake.findings.models import FindingTicket
from intake.ledger.models import KnownAsset
from intake.tickets.lifecycle import OPEN
from intake.tickets.models import Ticket, TicketEvent
from intake.tickets.service import PRODUCER, file_ticket
from opsdesk_shared.contracts.assets import InspectionFindingRaised
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import FindingTicketed
from opsdesk_shared.contracts.vocabulary import Category, Channel
from opsdesk_shared.db import advisory_lock
from opsdesk_shared.messaging.outbox import add_event

# A finding ticket still being worked on: a new reading of the same item belongs to it. Once resolved, a new
# abnormal reading means the fix did not hold: a ticket of its own.
STILL_OPEN = OPEN | {"pending"}


async def on_finding_raised(session: AsyncSession, envelope: Envelope) -> None:
    finding = envelope.parse(InspectionFindingRaised)
    # Findings of one asset's item wait for each other, so two at once cannot both open a ticket.
    await advisory_lock(session, f"finding:{finding.asset_id}:{finding.item_key}")
    if await session.get(FindingTicket, finding.finding_id) is not None:
        return
    ticket = await _open_ticket_of(session, finding)
    opened = ticket is None
    if ticket is None:
        ticket = await _open_ticket(session, finding)
    else:
        _add_to(session, ticket, finding)
    session.add(
        FindingTicket(
            finding_id=finding.finding_id,
            ticket_id=ticket.id,
            asset_id=finding.asset_id,
            item_key=finding.item_key,
            opened=opened,
            raised_at=finding.raised_at,
        )
    )
    await add_event(
        session,
        FindingTicketed(
            finding_id=finding.finding_id,
            ticket_id=ticket.id,
            ticket_number=ticket.number,
            opened=opened,
            at=datetime.now(UTC),
        ),
        producer=PRODUCER,
    )


async def _open_ticket_of(session: AsyncSession, finding: InspectionFindingRaised) -> Ticket | None:
    rows = await session.execute(
        select(Ticket)
        .join(FindingTicket, FindingTicket.ticket_id == Ticket.id)
        .where(
            FindingTicket.asset_id == finding.asset_id,
            FindingTicket.item_key == finding.item_key,
            Ticket.status.in_(STILL_OPEN),
        )
        .order_by(Ticket.created_at.desc())
        .limit(1)
        .with_for_update(of=Ticket)
    )
    return rows.scalar()


def _finding_detail(finding: InspectionFindingRaised) -> dict[str, Any]:
    return {
        "finding_id": str(finding.finding_id),
        "round_id": str(finding.round_id),
        "item": finding.item_label,
        "reading": wording.reading_text(finding),
        # The same, as parts, for pages that word it in the reader's language.
        "kind": finding.kind,
        "value": finding.reading,
        "unit": finding.measure_unit,
        "low": finding.normal_low,
        "high": finding.normal_high,
        **({"note": finding.note} if finding.note else {}),
    }


def _add_to(session: AsyncSession, ticket: Ticket, finding: InspectionFindingRaised) -> None:
    ticket.updated_at = datetime.now(UTC)
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="finding_added",
            actor_id=finding.inspector_id,
            actor_name=finding.inspector_name,
            detail=_finding_detail(finding),
            at=finding.raised_at,
        )
    )


async def _open_ticket(session: AsyncSession, finding: InspectionFindingRaised) -> Ticket:
    inspector = await session.get(KnownUser, finding.inspector_id)
    # The finding names a ledger asset: linked by its id even if its `asset.*` event has not reached us yet.
    asset = await session.get(KnownAsset, finding.asset_id)
    at = datetime.now(UTC)
    reporter = inspector.display_name if inspector else finding.inspector_name
    ticket = Ticket(
        number="",
        title=wording.title(finding),
        description=wording.description(finding, reporter),
        category=Category.FAULT.value,
        subcategory=wording.kind_of_work(finding.asset_class),
        priority=wording.priority(asset.criticality if asset else None).value,
        status="new",
        unit_id=finding.unit_id,
        unit_path=await directory.unit_path(session, finding.unit_id) or [finding.unit_id],
        # The inspecting engineer reports it; the phone is theirs (the desk may call them), never texted.
        requester_name=reporter[:50],
        requester_phone=(inspector.phone if inspector and inspector.phone else ""),
        channel=Channel.INSPECTION.value,
        asset_tag=finding.tag.upper(),
        asset_id=finding.asset_id,
        location=wording.place(finding)[:200] or None,
        created_by=finding.inspector_id,
        created_at=at,
        updated_at=at,
        version=1,
    )
    detail = {"channel": ticket.channel, "status": "new", "priority": ticket.priority, **_finding_detail(finding)}
    await file_ticket(
        session,
        ticket,
        actor_id=finding.inspector_id,
        actor_name=finding.inspector_name,
        detail=detail,
        finding_id=finding.finding_id,
    )
    return ticket
