"""The sender: claims queued messages, hands them to the provider, records the outcome.

Exactly-once towards the requester, as far as a provider without idempotency keys allows:
- a message is claimed (status `sending`, a lease, attempts+1) in its own committed transaction before
  the provider is called, so any number of senders never send one message twice at once;
- a crash after the provider accepted but before we recorded the sid leaves the lease to expire; the
  next claim sees `needs_reconcile` (or a stale `sending`) and lists the provider's messages to that
  number before resending;
- retryable failures go back to `queued` with exponential back-off and jitter; permanent ones fail at once.
"""

import asyncio
import random
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifications import merging, service
from notifications.breaker import CircuitBreaker
from notifications.config import NotificationsSettings
from notifications.models import SmsMessage, SmsOrphanCallback, SmsStatusChange
from notifications.providers.base import ProviderError, Sent, SmsProvider
from opsdesk_shared import wakeups
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.messaging.outbox import add_events
from opsdesk_shared.phones import mask_phone

log = structlog.get_logger(__name__)
STATUS_CALLBACK_PATH = "/api/sms/webhooks/twilio/status"


def backoff_s(attempt: int, base_s: float, retry_after_s: float | None = None) -> float:
    """Exponential with "equal jitter": never less than half the step, and never before Retry-After."""
    step = min(300.0, base_s * 2 ** (attempt - 1))
    return max(retry_after_s or 0.0, random.uniform(step / 2, step))


class Sender:
    def __init__(
        self, settings: NotificationsSettings, sessions: async_sessionmaker[AsyncSession], provider: SmsProvider
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.provider = provider
        self.callback_url = settings.public_url.rstrip("/") + STATUS_CALLBACK_PATH
        self.lease = timedelta(seconds=settings.twilio_timeout_s * 3)
        self.breaker = CircuitBreaker(settings.sms_breaker_threshold, settings.sms_breaker_cooldown_s)
        self._wake = asyncio.Event()
        # Accepted sends waiting to be recorded; bounded, so a slow database slows sending down.
        self._results: asyncio.Queue[tuple[SmsMessage, Sent, str]] = asyncio.Queue(maxsize=1000)

    async def claim(self, limit: int) -> list[tuple[SmsMessage, bool]]:
        now = datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            rows = await session.execute(
                select(SmsMessage)
                .where(
                    or_(
                        (SmsMessage.status == "queued") & (SmsMessage.next_attempt_at <= now),
                        (SmsMessage.status == "sending") & (SmsMessage.lease_until < now),  # type: ignore[operator]
                    ),
                    SmsMessage.merged_into.is_(None),  # type: ignore[union-attr]
                )
                .order_by(SmsMessage.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            claimed = []
            for message in await self._with_news_merged(session, list(rows.scalars()), now):
                reconcile = message.needs_reconcile or message.status == "sending"
                message.status = "sending"
                message.attempts += 1
                message.needs_reconcile = True  # until we know the outcome, assume it may have gone out
                message.lease_until = now + self.lease
                message.updated_at = now
                session.add(
                    SmsStatusChange(
                        message_id=message.id,
                        status="sending",
                        source="sender",
                        detail=f"attempt {message.attempts}",
                        at=now,
                    )
                )
                claimed.append((message, reconcile))
            return claimed

    async def _with_news_merged(self, session: AsyncSession, due: list[SmsMessage], now: datetime) -> list[SmsMessage]:
        """`due` with never-attempted ticket news merged per number (merging.py), in this claim's transaction."""
        outgoing: list[SmsMessage] = []
        news: list[SmsMessage] = []
        for message in due:
            mergeable = message.ticket_news and message.status == "queued" and message.attempts == 0
            (news if mergeable else outgoing).append(message)
        if not news:
            return outgoing
        return outgoing + await merging.claim_news(
            session,
            news,
            now,
            window=timedelta(seconds=self.settings.sms_merge_window_s),
            signature=self.settings.sms_signature,
            max_segments=self.settings.sms_merge_max_segments,
        )

    async def deliver(self, message: SmsMessage, reconcile: bool) -> None:
        try:
            found = None
            if reconcile:
                found = await self.provider.find_sent(to=message.recipient, body=message.body, since=message.created_at)
            sent = found or await self.provider.send(
                to=message.recipient, body=message.body, status_callback=self.callback_url
            )
        except ProviderError as exc:
            if exc.retryable:  # an outage-type failure; a bad number says nothing about the provider
                was = self.breaker.state
                self.breaker.failed(exc.retry_after_s)
                if self.breaker.state == "open" and was != "open":
                    log.warning(
                        "sms_provider_circuit_open",
                        failures=self.breaker.failures,
                        pause_s=round(self.breaker.seconds_until_trial(), 1),
                    )
            await self._record_failure(message, exc)
            return
        self.breaker.succeeded()
        await self._results.put((message, sent, "reconcile" if found else "sender"))

    async def _record_sent(self, batch: list[tuple[SmsMessage, Sent, str]]) -> None:
        """Records a batch of accepted sends in one transaction (one round of statements, not one per SMS).
        Until it commits, the messages stay `sending` with `needs_reconcile`: a crash here means the next
        claim lists the provider's messages and finds them, instead of sending again."""
        async with self.sessions() as session, session.begin():
            rows = await session.execute(
                select(SmsMessage)
                .where(SmsMessage.id.in_([m.id for m, _, _ in batch]))  # type: ignore[attr-defined]
                .with_for_update()
            )
            messages = {m.id: m for m in rows.scalars()}
            orphans = await session.execute(
                select(SmsOrphanCallback).where(
                    SmsOrphanCallback.provider_sid.in_([s.provider_sid for _, s, _ in batch])  # type: ignore[attr-defined]
                )
            )
            early: dict[str, list[SmsOrphanCallback]] = {}
            for orphan in orphans.scalars():
                early.setdefault(orphan.provider_sid, []).append(orphan)
            events: list[Event] = []
            for claimed, sent, source in batch:
                message = messages[claimed.id]
                message.provider_sid = sent.provider_sid
                message.needs_reconcile = False
                await service.advance(session, message, "sent", source=source, collect=events)
                for orphan in early.get(sent.provider_sid, []):  # a receipt that overtook our own record
                    message.error_code = orphan.error_code or message.error_code
                    await service.advance(
                        session,
                        message,
                        service.TWILIO_STATUS.get(orphan.status, "sent"),
                        source="callback",
                        collect=events,
                    )
                    await session.delete(orphan)
            await add_events(session, events, producer=service.PRODUCER)
        for claimed, sent, _ in batch:
            log.info("sms_sent", to=mask_phone(claimed.recipient), sid=sent.provider_sid, attempt=claimed.attempts)

    async def _record_results(self, stop_when_empty: bool = False) -> None:
        """Drains accepted sends into `_record_sent` batches of up to 200."""
        while True:
            if stop_when_empty and self._results.empty():
                return
            batch = [await self._results.get()]
            while len(batch) < 200 and not self._results.empty():
                batch.append(self._results.get_nowait())
            try:
                await self._record_sent(batch)
            except Exception as exc:  # the database is away: leave them to reconciliation after the lease
                log.warning("sms_record_failed", count=len(batch), error=repr(exc)[:200])

    async def _record_failure(self, claimed: SmsMessage, exc: ProviderError) -> None:
        now = datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            message = await session.get(SmsMessage, claimed.id, with_for_update=True)
            assert message is not None
            message.error_code = exc.code
            message.error_message = str(exc)[:500]
            message.needs_reconcile = exc.uncertain
            if exc.retryable and message.attempts < self.settings.sms_max_attempts:
                message.status = "queued"
                message.lease_until = None
                message.next_attempt_at = now + timedelta(
                    seconds=backoff_s(message.attempts, self.settings.sms_backoff_base_s, exc.retry_after_s)
                )
                message.updated_at = now
                session.add(
                    SmsStatusChange(
                        message_id=message.id,
                        status="queued",
                        source="sender",
                        detail=f"retry after {exc.code}",
                        at=now,
                    )
                )
            else:
                await service.advance(session, message, "failed", source="sender", detail=exc.code)
        log.warning(
            "sms_attempt_failed",
            to=mask_phone(claimed.recipient),
            code=exc.code,
            retryable=exc.retryable,
            attempt=claimed.attempts,
        )

    async def run(self, stop: asyncio.Event) -> None:
        listener = await wakeups.listen(self.settings.asyncpg_dsn, service.SEND_CHANNEL, lambda *_: self._wake.set())
        in_flight: set[asyncio.Task[None]] = set()
        recorder = asyncio.create_task(self._record_results())
        try:
            while not stop.is_set():
                free = self.breaker.allowance(self.settings.sms_send_concurrency - len(in_flight))
                claimed: list[tuple[SmsMessage, bool]] = []
                if free > 0:
                    try:
                        claimed = await self.claim(free)
                    except Exception as exc:  # database away: try again shortly
                        log.warning("sms_claim_failed", error=repr(exc)[:200])
                if not claimed and self.breaker.trial_in_flight:
                    self.breaker.trial_in_flight = False  # nothing to test the provider with yet
                for message, reconcile in claimed:
                    task = asyncio.create_task(self.deliver(message, reconcile))
                    in_flight.add(task)
                    task.add_done_callback(self._finished(in_flight))
                if claimed and len(claimed) == free:
                    await asyncio.sleep(0)
                    continue
                self._wake.clear()
                pause = max(0.5, self.breaker.seconds_until_trial()) if self.breaker.state == "open" else 0.5
                await wakeups.wait_any(stop, self._wake, pause)
            await asyncio.gather(*in_flight, return_exceptions=True)
            recorder.cancel()
            await self._record_results(stop_when_empty=True)  # record what was sent before stopping
        finally:
            recorder.cancel()
            await wakeups.close(listener)

    def _finished(self, in_flight: set[asyncio.Task[None]]):  # type: ignore[no-untyped-def]
        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            self._wake.set()  # a slot is free: claim more without waiting for the poll

        return done
