"""Counters of SMS by status and calls by outcome, per local day (each event counts once: the event
store drops redeliveries before this runs)."""

from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.contracts.intake import CallLogged
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


async def sms(session: AsyncSession, envelope: Envelope) -> UUID | None:
    s = envelope.parse(SmsStatus)
    status = envelope.type.removeprefix("sms.")
    await session.execute(_SMS, {"day": local_day(s.at), "status": status, "segments": s.segments})
    return None


async def call(session: AsyncSession, envelope: Envelope) -> UUID | None:
    c = envelope.parse(CallLogged)
    await session.execute(_CALL, {"day": local_day(c.started_at), "outcome": c.outcome or "unknown"})
    return None


HANDLERS = {SmsSent.type: sms, SmsDelivered.type: sms, SmsFailed.type: sms, CallLogged.type: call}
