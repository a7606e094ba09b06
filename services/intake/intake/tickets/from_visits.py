"""A hidden risk found on a user visit (the assets service's `visit.risk_raised`) filed as a ticket of
channel `visit`: the visitor as the one who filed it, the visited unit's contact as requester. Announced back
(`visit.risk_ticketed`) so the visit shows the ticket's number. Once per risk: the assets service announces a
risk once, and the inbox drops a redelivered event."""

from sqlalchemy.ext.asyncio import AsyncSession

from intake.tickets.schemas import TicketCreate
from intake.tickets.service import PRODUCER, create_ticket
from opsdesk_shared.auth import Principal, Role
from opsdesk_shared.contracts.assets import VisitRiskRaised
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import VisitRiskTicketed
from opsdesk_shared.contracts.vocabulary import Category, Channel
from opsdesk_shared.messaging.outbox import add_event

TITLE_PREFIX = "回访发现隐患："


def ticket_for(risk: VisitRiskRaised) -> TicketCreate:
    title = TITLE_PREFIX + risk.description
    return TicketCreate(
        title=title if len(title) <= 200 else title[:199] + "…",
        description=f"{risk.unit_name} 回访（{risk.visitor_name}）发现的隐患：\n{risk.description}"[:5000],
        category=Category.SERVICE_REQUEST,
        unit_id=risk.unit_id,
        requester_name=risk.contact_name[:50],
        requester_phone=risk.contact_phone,
        channel=Channel.VISIT,
    )


async def on_risk_raised(session: AsyncSession, envelope: Envelope) -> None:
    risk = envelope.parse(VisitRiskRaised)
    # Filed as the visitor, who is the vendor's staff whatever their exact role (the event does not say).
    visitor = Principal(
        subject=risk.visitor_id, username=risk.visitor_name, roles=frozenset({Role.ENGINEER}), unit_id=None
    )
    ticket = await create_ticket(session, visitor, ticket_for(risk), phone_region="CN")
    await add_event(
        session,
        VisitRiskTicketed(
            risk_id=risk.risk_id,
            visit_id=risk.visit_id,
            ticket_id=ticket.id,
            number=ticket.number,
            at=ticket.created_at,
        ),
        producer=PRODUCER,
    )


HANDLERS = {VisitRiskRaised.type: on_risk_raised}
