"""The sender: claims queued messages, hands them to the provider, records the outcome.

Exactly-once towards the requester, as far as a provider without idempotency keys allows:
- a message is claimed (status `sending`, a lease, attempts+1) in its own committed transaction before
  the provider is called, so any number of senders never send one message twice at once;
- a crash after the provider accepted but before we recorded the sid leaves the lease to expire; the
  next claim sees `needs_reconcile` (or a stale `sending`) and lists the provider's messages to that
  number before resending;
- retryable failures go back to `queued` with exponential back-off and jitter; permanent ones fail at once;
- a provider that takes many messages per call (Aliyun's SendBatchSms) gets never-attempted messages of one
  template in calls of up to its `batch_size`, each call's OutId recorded on its messages in the claim's
  transaction, so a reconciliation after an uncertain call knows what to look for.
"""

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifications.config import NotificationsSettings
from notifications.inbound.models import SmsOptOut
from notifications.messages import merging, service
from notifications.messages.breaker import CircuitBreaker
from notifications.messages.models import SmsMessage, SmsOrphanCallback, SmsStatusChange
from notifications.providers.base import Outgoing, ProviderError, Sent, SmsProvider
from opsdesk_shared import wakeups
from opsdesk_shared.contracts.envelope import Event
from opsdesk_shared.messaging.outbox import add_events
from opsdesk_shared.phones import mask_phone

log = structlog.get_logger(__name__)
# For deploy/monitoring's "SMS provider failing" alert: the provider's own failures (not a bad number's), and
# whether the sender has stopped calling it for a while.
PROVIDER_OUTAGES = Counter("opsdesk_sms_provider_outages_total", "SMS provider calls failed by an outage", ["provider"])
CIRCUIT_OPEN = Gauge(
    "opsdesk_sms_circuit_open", "1 while the SMS sender pauses calls to a failing provider", ["provider"]
)
STATUS_CALLBACK_PATH = "/api/sms/webhooks/twilio/status"


def outgoing(message: SmsMessage) -> Outgoing:
    return Outgoing(
        id=message.id,
        to=message.recipient,
        body=message.body,
        created_at=message.created_at,
        template_code=message.provider_template,
        params=dict(message.template_params or {}),
        out_id=message.out_id,
    )


# What one send task carries: one message (and whether to reconcile it first), or a batch of never-attempted ones.
Job = tuple[SmsMessage, bool] | list[SmsMessage]


def batches(messages: list[SmsMessage], size: int) -> list[list[SmsMessage]]:
    """Never-attempted messages of one provider template in calls of at most `size`, a number at most once per
    call (receipts name a message by its call's OutId and its number)."""
    by_template: dict[str, list[SmsMessage]] = {}
    for message in messages:
        by_template.setdefault(message.provider_template or "", []).append(message)
    calls: list[list[SmsMessage]] = []
    for group in by_template.values():
        open_calls: list[tuple[set[str], list[SmsMessage]]] = []
        for message in group:
            for numbers, call in open_calls:
                if len(call) < size and message.recipient not in numbers:
                    numbers.add(message.recipient)
                    call.append(message)
                    break
            else:
                open_calls.append(({message.recipient}, [message]))
        calls.extend(call for _, call in open_calls)
    return calls


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
        self.lease = timedelta(seconds=settings.provider_timeout_s * 3)
        self.breaker = CircuitBreaker(settings.sms_breaker_threshold, settings.sms_breaker_cooldown_s)
        self._wake = asyncio.Event()
        # Accepted sends waiting to be recorded; bounded, so a slow database slows sending down.
        self._results: asyncio.Queue[tuple[SmsMessage, Sent, str]] = asyncio.Queue(maxsize=1000)

    async def claim(self, limit: int, batch_extra: int = 0) -> list[Job]:
        """Up to `limit` due messages (a call each at most), and up to `batch_extra` more that can only ride in
        a batch call (never-attempted business SMS with a provider template), so a batch provider's calls are
        full without more calls in flight than there are free slots."""
        now = datetime.now(UTC)
        due = or_(
            (SmsMessage.status == "queued") & (SmsMessage.next_attempt_at <= now),
            (SmsMessage.status == "sending") & (SmsMessage.lease_until < now),
        )
        async with self.sessions() as session, session.begin():
            rows = await session.execute(
                select(SmsMessage)
                .where(due, SmsMessage.merged_into.is_(None))
                .order_by(SmsMessage.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            picked = list(rows.scalars())
            if batch_extra and picked:
                more = await session.execute(
                    select(SmsMessage)
                    .where(
                        SmsMessage.status == "queued",
                        SmsMessage.next_attempt_at <= now,
                        SmsMessage.needs_reconcile.is_(False),
                        SmsMessage.client_id.is_not(None),
                        SmsMessage.provider_template.is_not(None),
                        SmsMessage.id.not_in([m.id for m in picked]),
                    )
                    .order_by(SmsMessage.next_attempt_at)
                    .limit(batch_extra)
                    .with_for_update(skip_locked=True)
                )
                picked += list(more.scalars())
            claimed: list[tuple[SmsMessage, bool]] = []
            for message in await self._with_news_merged(session, picked, now):
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
            return self._jobs(claimed)

    def _jobs(self, claimed: list[tuple[SmsMessage, bool]]) -> list[Job]:
        """Sets each message's OutId (in the claim's transaction, before any call) and groups them into calls."""
        jobs: list[Job] = []
        batchable: list[SmsMessage] = []
        for message, reconcile in claimed:
            if reconcile:  # looked for under the OutId of its uncertain attempt, then sent on its own
                message.out_id = message.out_id or str(message.id)
                jobs.append((message, True))
            # Business SMS only: Aliyun documents batch sending as possibly delayed, and a ticket's news or an
            # escalation is time-sensitive (SendSms).
            elif self.provider.batch_size > 1 and message.provider_template and message.client_id is not None:
                batchable.append(message)
            else:
                message.out_id = str(message.id)
                jobs.append((message, False))
        for call in batches(batchable, self.provider.batch_size):
            if len(call) == 1:
                call[0].out_id = str(call[0].id)
                jobs.append((call[0], False))
                continue
            for message in call:
                message.out_id = str(call[0].id)
            jobs.append(call)
        return jobs

    async def _with_news_merged(self, session: AsyncSession, due: list[SmsMessage], now: datetime) -> list[SmsMessage]:
        """`due` with never-attempted ticket news merged per number (merging.py), in this claim's transaction."""
        outgoing: list[SmsMessage] = []
        news: list[SmsMessage] = []
        if self.provider.batch_size > 1:  # a template provider: its templates say one ticket's news each
            return due
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
                found = await self.provider.find_sent(outgoing(message))
            sent = found or await self.provider.send(outgoing(message), status_callback=self.callback_url)
        except ProviderError as exc:
            self._provider_failed(exc)
            await self._record_failure([message], exc)
            return
        self._provider_answered()
        await self._results.put((message, sent, "reconcile" if found else "sender"))

    async def deliver_batch(self, messages: list[SmsMessage]) -> None:
        assert messages[0].out_id is not None
        try:
            sent = await self.provider.send_batch([outgoing(m) for m in messages], out_id=messages[0].out_id)
        except ProviderError as exc:
            self._provider_failed(exc)
            await self._record_failure(messages, exc)
            return
        self._provider_answered()
        for message, accepted in zip(messages, sent, strict=True):
            await self._results.put((message, accepted, "sender"))

    def _provider_answered(self) -> None:
        self.breaker.succeeded()
        CIRCUIT_OPEN.labels(self.provider.name).set(0)

    def _provider_failed(self, exc: ProviderError) -> None:
        if not exc.outage:  # a bad number or a per-number cap says nothing about the provider
            return
        PROVIDER_OUTAGES.labels(self.provider.name).inc()
        was = self.breaker.state
        self.breaker.failed(exc.retry_after_s)
        CIRCUIT_OPEN.labels(self.provider.name).set(1 if self.breaker.state == "open" else 0)
        if self.breaker.state == "open" and was != "open":
            log.warning(
                "sms_provider_circuit_open",
                failures=self.breaker.failures,
                pause_s=round(self.breaker.seconds_until_trial(), 1),
            )

    async def _record_sent(self, batch: list[tuple[SmsMessage, Sent, str]]) -> None:
        """Records a batch of accepted sends in one transaction (one round of statements, not one per SMS).
        Until it commits, the messages stay `sending` with `needs_reconcile`: a crash here means the next
        claim lists the provider's messages and finds them, instead of sending again."""
        async with self.sessions() as session, session.begin():
            await service.hold_receipts_of(session, (sent.provider_sid for _, sent, _ in batch))
            rows = await session.execute(
                select(SmsMessage).where(SmsMessage.id.in_([m.id for m, _, _ in batch])).with_for_update()
            )
            messages = {m.id: m for m in rows.scalars()}
            orphans = await session.execute(
                select(SmsOrphanCallback).where(
                    SmsOrphanCallback.provider_sid.in_([s.provider_sid for _, s, _ in batch])
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

    async def _record_failure(self, failed: list[SmsMessage], exc: ProviderError) -> None:
        """One failed call's messages, in one transaction: back to `queued` with back-off, or failed."""
        now = datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            rows = await session.execute(
                select(SmsMessage).where(SmsMessage.id.in_([m.id for m in failed])).with_for_update()
            )
            for message in rows.scalars():
                await self._failed(session, message, exc, now)
        for claimed in failed:
            log.warning(
                "sms_attempt_failed",
                to=mask_phone(claimed.recipient),
                code=exc.code,
                retryable=exc.retryable,
                attempt=claimed.attempts,
            )

    async def _failed(self, session: AsyncSession, message: SmsMessage, exc: ProviderError, now: datetime) -> None:
        if exc.opt_out:  # the provider says this number refuses SMS: no further message is sent to it
            await session.execute(
                insert(SmsOptOut).values(phone=message.recipient, source="provider", at=now).on_conflict_do_nothing()
            )
        message.error_code = exc.code
        message.error_message = str(exc)[:500]
        message.needs_reconcile = exc.uncertain
        # Waiting out a per-number cap's window is not a failed attempt: it does not use one up.
        if not exc.outage and exc.retryable and exc.retry_after_s:
            message.attempts = max(0, message.attempts - 1)
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

    async def run(self, stop: asyncio.Event) -> None:
        listener = await wakeups.listen(self.settings.asyncpg_dsn, service.SEND_CHANNEL, lambda *_: self._wake.set())
        in_flight: set[asyncio.Task[None]] = set()
        recorder = asyncio.create_task(self._record_results())
        try:
            while not stop.is_set():
                free = self.breaker.allowance(self.settings.sms_send_concurrency - len(in_flight))
                claimed: list[Job] = []
                # A call per free slot, as many messages as it carries; but no more at once than the recorder holds,
                # so every claimed message is recorded well within its lease (or it would be reconciled needlessly).
                extra = min(free * (self.provider.batch_size - 1), max(0, self._results.maxsize - free))
                wanted = free + extra
                if free > 0:
                    try:
                        claimed = await self.claim(free, extra)
                    except Exception as exc:  # database away: try again shortly
                        log.warning("sms_claim_failed", error=repr(exc)[:200])
                if not claimed and self.breaker.trial_in_flight:
                    self.breaker.trial_in_flight = False  # nothing to test the provider with yet
                for job in claimed:
                    if isinstance(job, list):
                        task = asyncio.create_task(self.deliver_batch(job))
                    else:
                        task = asyncio.create_task(self.deliver(*job))
                    in_flight.add(task)
                    task.add_done_callback(self._finished(in_flight))
                if claimed and sum(len(j) if isinstance(j, list) else 1 for j in claimed) >= wanted:
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

    def _finished(self, in_flight: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            self._wake.set()  # a slot is free: claim more without waiting for the poll

        return done
