"""Provider delivery receipts: accepted by the API in one statement, applied by the worker in batches.

Two receipts per SMS (sent, delivered) each crossed the gateway and the API, which used to apply them at once (a
receipt lock, the message locked and read, its update, its status change, its event, each a statement). Now the API
verifies the provider's signature and records the receipt with one insert that also wakes the worker; the worker
claims pending receipts (`FOR UPDATE SKIP LOCKED`, so any number of workers share them), applies each with
`service.advance` (never backwards, a merged SMS carrying its parts, sms.* events once, through the outbox) and
deletes them, a batch per transaction.

A receipt whose message has no provider sid yet (it overtook our own record of the send) becomes an orphan, which
recording the send applies (sender.py); both take the receipt locks of their sids first (`hold_receipts_of`),
so neither can miss the other. A duplicate receipt changes nothing, as `advance` never repeats a status.
"""

import asyncio
from dataclasses import dataclass

import structlog
from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from notifications.messages import service
from notifications.messages.models import SmsMessage, SmsOrphanCallback, SmsReceipt
from opsdesk_shared import wakeups
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.messaging.outbox import add_events

log = structlog.get_logger(__name__)
RECEIPT_CHANNEL = "opsdesk_sms_receipt"


@dataclass(frozen=True)
class Receipt:
    provider_sid: str
    status: str  # ours (service.RANK), not the provider's word
    error_code: str | None = None
    detail: str | None = None


# Built once: the API's whole cost per receipt is this statement, so it is not composed anew for each request.
RECORD = text(
    "WITH receipt AS (INSERT INTO sms_receipt (provider_sid, status, error_code, detail, received_at)"
    " SELECT sid, status, code, detail, now() FROM unnest("
    "CAST(:sids AS text[]), CAST(:statuses AS text[]), CAST(:codes AS text[]), CAST(:details AS text[])"
    ") AS r(sid, status, code, detail))"
    f" SELECT pg_notify('{RECEIPT_CHANNEL}', '')"
)


async def record(session: AsyncSession | AsyncConnection, receipts: list[Receipt]) -> None:
    """The receipts and the worker's wake-up in one statement (the notification is sent when this commits)."""
    if receipts:
        await session.execute(
            RECORD,
            {
                "sids": [r.provider_sid for r in receipts],
                "statuses": [r.status for r in receipts],
                "codes": [r.error_code for r in receipts],
                "details": [r.detail for r in receipts],
            },
        )


async def fold(session: AsyncSession, limit: int) -> int:
    """Applies up to `limit` pending receipts, oldest first, in the caller's transaction; how many it took."""
    claimed = list(
        (
            await session.execute(
                select(SmsReceipt).order_by(SmsReceipt.id).limit(limit).with_for_update(skip_locked=True)
            )
        ).scalars()
    )
    if not claimed:
        return 0
    sids = {r.provider_sid for r in claimed}
    await service.hold_receipts_of(session, sids)
    rows = await session.execute(select(SmsMessage).where(SmsMessage.provider_sid.in_(sids)).with_for_update())
    messages = {m.provider_sid: m for m in rows.scalars()}
    events: list[Event] = []
    orphans = []
    for receipt in claimed:
        message = messages.get(receipt.provider_sid)
        if message is None:
            orphans.append(
                {
                    "provider_sid": receipt.provider_sid,
                    "status": receipt.status,
                    "error_code": receipt.error_code,
                    "at": receipt.received_at,
                }
            )
            continue
        if receipt.error_code:
            message.error_code = receipt.error_code
        await service.advance(
            session, message, receipt.status, source="callback", detail=receipt.detail, collect=events
        )
    if orphans:
        await session.execute(insert(SmsOrphanCallback), orphans)
    await session.execute(delete(SmsReceipt).where(SmsReceipt.id.in_([r.id for r in claimed])))
    await add_events(session, events, producer=service.PRODUCER)
    return len(claimed)


class ReceiptFolder:
    """The worker's loop: woken by the API's notification, it waits `gather_s` so that receipts arriving together
    are applied in one transaction, then folds until nothing is pending. Polls every `poll_s` besides, in case a
    notification was missed (the listening connection lost)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        dsn: str,
        *,
        batch: int = 200,
        gather_s: float = 0.1,
        poll_s: float = 5.0,
    ) -> None:
        self.sessions, self.dsn = sessions, dsn
        self.batch, self.gather_s, self.poll_s = batch, gather_s, poll_s
        self._wake = asyncio.Event()

    async def fold_once(self) -> int:
        async with self.sessions() as session, session.begin():
            return await fold(session, self.batch)

    async def run(self, stop: asyncio.Event) -> None:
        listener = await wakeups.listen(self.dsn, RECEIPT_CHANNEL, lambda *_: self._wake.set())
        try:
            while not stop.is_set():
                self._wake.clear()  # before folding: a receipt recorded meanwhile wakes the next round
                try:
                    folded = self.batch
                    while folded >= self.batch:  # a full batch: more may be waiting
                        folded = await self.fold_once()
                except Exception as exc:  # database away: the receipts wait in their table
                    log.warning("sms_receipts_fold_failed", error=repr(exc)[:200])
                await wakeups.wait_any(stop, self._wake, self.poll_s)
                if self._wake.is_set() and not stop.is_set():
                    await wakeups.wait_any(stop, asyncio.Event(), self.gather_s)
        finally:
            await wakeups.close(listener)
