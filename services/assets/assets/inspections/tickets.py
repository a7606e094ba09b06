"""A finding's ticket, from intake's `finding.ticketed`: the findings list and the asset's history show
which ticket each abnormal item became. Setting the same values again changes nothing, so a redelivered
event is harmless beside the inbox."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from assets.inspections.models import Finding
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import FindingTicketed


async def apply_finding_ticketed(session: AsyncSession, envelope: Envelope) -> None:
    ticketed = envelope.parse(FindingTicketed)
    await session.execute(
        update(Finding)
        .where(Finding.id == ticketed.finding_id)
        .values(ticket_id=ticketed.ticket_id, ticket_number=ticketed.ticket_number, ticket_opened=ticketed.opened)
    )
