"""Delivery receipts as Twilio posts them, over HTTP to a served API: answered after one insert, applied by the
worker (messages/receipts.py) exactly as they were applied by the API before: forwards only, an event each, a
receipt that overtakes our record of the send kept until the send is recorded, a duplicate harmless."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from notifications.config import NotificationsSettings
from notifications.main import create_app
from notifications.messages.models import SmsOrphanCallback, SmsStatusChange
from notifications.messaging.consumers import subscriptions
from notifications.worker import background_tasks, provider_for
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import EventTap, eventually, publish, running_worker

from .conftest import AUTH_TOKEN, Sink, free_port, receipts_folded, serve, ticket_created

STATUS_PATH = "/api/sms/webhooks/twilio/status"


@dataclass
class Live:
    api: str
    settings: NotificationsSettings
    token: str

    async def message(self, ticket_id: uuid.UUID, *statuses: str) -> dict:
        """The ticket's SMS as the API shows it, once it has one of `statuses`."""

        async def probe() -> dict | None:
            async with httpx.AsyncClient(base_url=self.api) as client:
                resp = await client.get(
                    "/api/sms/messages",
                    params={"ticket_id": str(ticket_id)},
                    headers={"Authorization": f"Bearer {self.token}"},
                )
            items = resp.json()["items"]
            return items[0] if items and items[0]["status"] in statuses else None

        return await eventually(probe, timeout=20)

    async def post_receipt(self, sid: str, status: str) -> httpx.Response:
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC" + "1" * 32}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(self.api + STATUS_PATH, form)
        async with httpx.AsyncClient(base_url=self.api) as client:
            return await client.post(STATUS_PATH, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture(scope="module")
async def live(notifications_settings: NotificationsSettings, migrated: RunEnvironment) -> AsyncIterator[Live]:
    """The API served on a real port that the Twilio sink's signed callbacks reach, and the worker."""
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    settings = notifications_settings.model_copy(update={"public_url": api})
    server, task = await serve(create_app(settings), port)
    engine = create_engine(settings)
    sessions = session_factory(engine)
    provider = provider_for(settings)
    try:
        async with running_worker(
            settings, sessions, subscriptions(settings), background_tasks(settings, sessions, provider)
        ):
            yield Live(api, settings, migrated.token("admin"))
    finally:
        await provider.close()
        await engine.dispose()
        server.should_exit = True
        await task


def phone() -> str:
    return f"+86136{uuid.uuid4().int % 10**8:08d}"


async def sent_to(sink: Sink, to: str) -> list[dict]:
    return [m for m in await sink.messages() if m["to"] == to]


async def callbacks_answered(sink: Sink, sid: str) -> list[dict]:
    """The sink's callbacks for `sid`, once both (sent, delivered) have been answered."""

    async def probe() -> list[dict] | None:
        async with httpx.AsyncClient() as client:
            done = [c for c in (await client.get(f"{sink.url}/_sink/messages")).json()["callbacks"] if c["sid"] == sid]
        return done if len(done) >= 2 else None

    return await eventually(probe, timeout=20)


async def history(settings: NotificationsSettings, message_id: str) -> list[tuple[str, str]]:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(SmsStatusChange.status, SmsStatusChange.source)
                .where(SmsStatusChange.message_id == uuid.UUID(message_id))
                .order_by(SmsStatusChange.id)
            )
            return [(s, src) for s, src in rows.all()]
    finally:
        await engine.dispose()


async def orphans_of(settings: NotificationsSettings, sid: str) -> int:
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as session:
            count = await session.scalar(
                select(func.count()).select_from(SmsOrphanCallback).where(SmsOrphanCallback.provider_sid == sid)
            )
            return int(count or 0)
    finally:
        await engine.dispose()


async def test_signed_receipts_are_answered_at_once_and_applied_by_the_worker_with_one_event_each(
    live: Live, sink: Sink, migrated: RunEnvironment
) -> None:
    to = phone()
    event = ticket_created(to)
    async with EventTap(migrated.amqp_url, "sms.sent", "sms.delivered") as tap:
        await publish(migrated.amqp_url, event)
        row = await live.message(event.ticket_id, "delivered")
        [sms] = await sent_to(sink, to)
        callbacks = await callbacks_answered(sink, sms["sid"])
        assert [c["answer"] for c in callbacks] == [204, 204]
        await eventually(lambda: tap.of("sms.delivered", message_id=row["id"]))
        await eventually(lambda: tap.of("sms.sent", message_id=row["id"]))
    assert await history(live.settings, row["id"]) == [
        ("queued", "event"),
        ("sending", "sender"),
        ("sent", "sender"),
        ("delivered", "callback"),
    ]
    assert len(tap.of("sms.delivered", message_id=row["id"])) == len(tap.of("sms.sent", message_id=row["id"])) == 1


async def test_a_duplicate_or_late_receipt_changes_nothing_and_publishes_nothing(
    live: Live, sink: Sink, migrated: RunEnvironment
) -> None:
    to = phone()
    event = ticket_created(to)
    await publish(migrated.amqp_url, event)
    row = await live.message(event.ticket_id, "delivered")
    [sms] = await sent_to(sink, to)
    await callbacks_answered(sink, sms["sid"])
    before = await history(live.settings, row["id"])
    async with EventTap(migrated.amqp_url, "sms.sent", "sms.delivered") as tap:
        assert (await live.post_receipt(sms["sid"], "delivered")).status_code == 204  # Twilio retrying
        assert (await live.post_receipt(sms["sid"], "sent")).status_code == 204  # late, after delivered
        await receipts_folded(live.settings, sms["sid"])
        # A marker published after them: once it is seen, anything the receipts had published would have been too.
        marker = ticket_created(phone())
        await publish(migrated.amqp_url, marker)
        marked = await live.message(marker.ticket_id, "delivered")
        await eventually(lambda: tap.of("sms.delivered", message_id=marked["id"]))
    assert (await live.message(event.ticket_id, "delivered"))["status"] == "delivered"
    assert await history(live.settings, row["id"]) == before
    assert tap.of("sms.delivered", message_id=row["id"]) == tap.of("sms.sent", message_id=row["id"]) == []


async def test_a_receipt_that_overtakes_the_record_of_the_send_is_applied_when_the_send_is_recorded(
    live: Live, sink: Sink, migrated: RunEnvironment
) -> None:
    """Twilio takes the SMS and calls back, but our call times out: the receipts wait as orphans until the
    reconciliation records the send, which applies them."""
    to = phone()
    await sink.fault("accept-then-timeout", count=1, to=to)
    event = ticket_created(to)
    await publish(migrated.amqp_url, event)
    [sms] = await eventually(lambda: sent_to(sink, to))
    await callbacks_answered(sink, sms["sid"])
    await eventually(lambda: orphans_of(live.settings, sms["sid"]))  # kept: we have no record of that sid yet
    row = await live.message(event.ticket_id, "delivered")
    assert row["provider_sid"] == sms["sid"] and len(await sent_to(sink, to)) == 1
    assert (await history(live.settings, row["id"]))[-2:] == [("sent", "reconcile"), ("delivered", "callback")]
    assert await orphans_of(live.settings, sms["sid"]) == 0
