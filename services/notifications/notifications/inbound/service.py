"""Replies from requesters (SPEC §6): "1" confirms their latest resolved ticket, "2" reopens it, "TD" or
"退订" opts out of further SMS. Tickets are intake's: we only announce what the requester said
(`sms.reply_received`) and intake acts on it."""

import unicodedata
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.inbound.models import InboundSms, SmsOptOut, TicketContact
from opsdesk_shared.contracts.notifications import SmsReplyReceived
from opsdesk_shared.messaging.outbox import add_event

OPT_OUT_WORDS = {"TD", "T", "退订", "STOP", "UNSUBSCRIBE"}


def intent_of(body: str) -> str:
    text = unicodedata.normalize("NFKC", body).strip().upper()  # full-width "１" is "1"
    if text in OPT_OUT_WORDS:
        return "opt_out"
    if text == "1":
        return "confirm"
    if text == "2":
        return "reopen"
    return "unknown"


async def receive(session: AsyncSession, *, sid: str, from_phone: str, body: str) -> str | None:
    """Records the reply once per MessageSid and acts on it; returns the intent, None for a repeat."""
    at = datetime.now(UTC)
    intent = intent_of(body)
    claimed = await session.scalar(
        insert(InboundSms)
        .values(sid=sid, from_phone=from_phone, body=body[:1600], intent=intent, at=at)
        .on_conflict_do_nothing()
        .returning(InboundSms.sid)
    )
    if claimed is None:
        return None  # Twilio posted it again
    if intent == "opt_out":
        await session.execute(
            insert(SmsOptOut).values(phone=from_phone, source="reply", at=at).on_conflict_do_nothing()
        )
    elif intent in ("confirm", "reopen"):
        statuses = ["resolved"] if intent == "confirm" else ["resolved", "closed"]
        ticket = await session.scalar(
            select(TicketContact)
            .where(TicketContact.requester_phone == from_phone, TicketContact.status.in_(statuses))
            .order_by(TicketContact.resolved_at.desc().nulls_last())
            .limit(1)
        )
        if ticket is None:
            intent = "unknown"
        else:
            await add_event(
                session,
                SmsReplyReceived(
                    inbound_sid=sid,
                    from_phone=from_phone,
                    ticket_id=ticket.ticket_id,
                    intent=intent,
                    body=body[:200],
                    received_at=at,
                ),
                producer="notifications",
            )
        await session.execute(
            update(InboundSms)
            .where(InboundSms.sid == sid)
            .values(intent=intent, ticket_id=ticket.ticket_id if ticket else None)
            .execution_options(synchronize_session=False)
        )
    return intent
