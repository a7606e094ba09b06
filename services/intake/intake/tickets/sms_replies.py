"""A requester's SMS reply, as notifications reports it: "1" closes the resolved ticket, "2" reopens it.
Through the same life cycle as the web's buttons; a reply that no longer fits (the ticket was closed
meanwhile, say) is written to the timeline and changes nothing."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from intake.models import Ticket, TicketEvent
from intake.tickets import lifecycle
from intake.tickets.service import _step_fields, change_status
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import TicketClosed, TicketReopened
from opsdesk_shared.contracts.notifications import SmsReplyReceived

ACTOR = "短信回复"


def handler(reopen_window: timedelta):  # type: ignore[no-untyped-def]
    async def on_reply(session: AsyncSession, envelope: Envelope) -> None:
        reply = envelope.parse(SmsReplyReceived)
        ticket = (await session.execute(select(Ticket).where(Ticket.id == reply.ticket_id).with_for_update())).scalar()
        if ticket is None:
            return
        action = "confirm" if reply.intent == "confirm" else "reopen"
        late = (
            action == "reopen"
            and ticket.resolved_at is not None
            and reply.received_at - ticket.resolved_at > reopen_window
        )
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
            return
        at = reply.received_at
        if action == "confirm":
            ticket.closed_at = at
            extra = TicketClosed(**_step_fields(ticket, at, None), feedback="短信回复 1")
            await change_status(
                session,
                ticket,
                "confirm",
                actor_id=None,
                actor_name=ACTOR,
                at=at,
                detail={"channel": "sms"},
                extra_events=[extra],
            )
        else:
            ticket.reopen_count += 1
            ticket.closed_at = None
            ticket.engineer_name = None
            reason = "短信回复 2：问题仍未解决"
            extra = TicketReopened(**_step_fields(ticket, at, None), reason=reason)
            await change_status(
                session,
                ticket,
                "reopen",
                actor_id=None,
                actor_name=ACTOR,
                at=at,
                reason=reason,
                detail={"channel": "sms"},
                extra_events=[extra],
            )

    return on_reply
