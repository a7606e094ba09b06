"""Counters of SMS by status, calls by outcome and the knowledge base's uses, per local day (each event
counts once: the event store drops redeliveries before this runs)."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import CallLogged, KnowledgeArticleUsed, KnowledgeFilingSpared
from opsdesk_shared.contracts.notifications import SmsDelivered, SmsFailed, SmsSent, SmsStatus
from reporting.periods import local_day

_SMS = text(
    "INSERT INTO sms_daily AS d (day, status, messages, segments) VALUES (:day, :status, 1, :segments) "
    "ON CONFLICT (day, status) DO UPDATE SET messages = d.messages + 1, segments = d.segments + EXCLUDED.segments"
)
_CALL = text(
    "INSERT INTO call_daily AS d (day, outcome, calls) VALUES (:day, :outcome, 1) "
    "ON CONFLICT (day, outcome) DO UPDATE SET calls = d.calls + 1"
)

_KNOWLEDGE = text(
    "INSERT INTO knowledge_daily AS d (day, kind, count) VALUES (:day, :kind, 1) "
    "ON CONFLICT (day, kind) DO UPDATE SET count = d.count + 1"
)


async def sms(session: AsyncSession, envelope: Envelope) -> UUID | None:
    s = envelope.parse(SmsStatus)
    status = envelope.type.removeprefix("sms.")
    await session.execute(_SMS, {"day": local_day(s.at), "status": status, "segments": s.segments})
    return None


async def call(session: AsyncSession, envelope: Envelope) -> UUID | None:
    c = envelope.parse(CallLogged)
    await session.execute(_CALL, {"day": local_day(c.started_at), "outcome": c.outcome or "unknown"})
    return None


async def article_used(session: AsyncSession, envelope: Envelope) -> UUID | None:
    used = envelope.parse(KnowledgeArticleUsed)
    kind = "call_solved" if used.call_id else "ticket_solved"
    await session.execute(_KNOWLEDGE, {"day": local_day(used.at), "kind": kind})
    return None


async def filing_spared(session: AsyncSession, envelope: Envelope) -> UUID | None:
    spared = envelope.parse(KnowledgeFilingSpared)
    await session.execute(_KNOWLEDGE, {"day": local_day(spared.at), "kind": "filing_spared"})
    return None


HANDLERS = {
    SmsSent.type: sms,
    SmsDelivered.type: sms,
    SmsFailed.type: sms,
    CallLogged.type: call,
    KnowledgeArticleUsed.type: article_used,
    KnowledgeFilingSpared.type: filing_spared,
}
