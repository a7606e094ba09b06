"""A requester's SMS reply, as notifications reports it: "1" closes the resolved ticket, "2" reopens it.
Through the same life cycle as the web's buttons; a reply that no longer fits (the ticket was closed
meanwhile, say) is written to the timeline and changes nothing."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.tickets import lifecycle
from intake.tickets.models import Ticket, TicketEvent
from intake.tickets.service import close, mark_reopened, reopen_window_passed
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.notifications import SmsReplyReceived
from opsdesk_shared.messaging.consumer import Handler

ACTOR = "短信回复"


def handler(reopen_window: timedelta) -> Handler:
    async def on_reply(session: AsyncSession, envelope: Envelope) -> None:
        reply = envelope.parse(SmsReplyReceived)
        ticket = (await session.execute(select(Ticket).where(Ticket.id == reply.ticket_id).with_for_update())).scalar()
        if ticket is None:
            return
        action = "confirm" if reply.intent == "confirm" else "reopen"
        late = action == "reopen" and reopen_window_passed(ticket, reply.received_at, reopen_window)
        if reply.intent not in ("confirm", "reopen") or not lifecycle.is_legal(ticket.status, action) or late:
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    kind="sms_reply_ignored",
                    actor_name=ACTOR,
                    detail={"intent": reply.intent, "status": ticket.status},
                    at=reply.received_at,
                )
            )
        elif action == "confirm":
            await close(
                session,
                ticket,
                "confirm",
                actor_id=None,
                actor_name=ACTOR,
                at=reply.received_at,
                feedback="短信回复 1",
                detail={"channel": "sms"},
            )
        else:
            await mark_reopened(
                session,
                ticket,
                "短信回复 2：问题仍未解决",
                actor_id=None,
                actor_name=ACTOR,
                at=reply.received_at,
                detail={"channel": "sms"},
            )

    return on_reply
