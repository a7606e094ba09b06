"""SMS through the Twilio wire format: exactly one per event and recipient, retries, permanent errors,
signed delivery receipts that never move a status backwards."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from twilio.request_validator import RequestValidator

from notifications.config import NotificationsSettings
from notifications.messages import service
from notifications.messaging.consumers import subscriptions
from notifications.worker import background_tasks
from notifications.worker import provider_for as provider_for_tests
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish, running_worker

from .conftest import AUTH_TOKEN, PUBLIC_URL, Sink, receipts_folded, ticket_created

STATUS_PATH = "/api/sms/webhooks/twilio/status"


@pytest.fixture(scope="module")
async def worker(notifications_settings: NotificationsSettings) -> AsyncIterator[object]:
    engine = create_engine(notifications_settings)
    sessions = session_factory(engine)
    provider = provider_for_tests(notifications_settings)
    async with running_worker(
        notifications_settings,
        sessions,
        subscriptions(notifications_settings),
        background_tasks(notifications_settings, sessions, provider),
    ):
        yield sessions
    await provider.close()
    await engine.dispose()


async def sent_to(sink: Sink, phone: str) -> list[dict]:
    return [m for m in await sink.messages() if m["to"] == phone]


async def stored(client: httpx.AsyncClient, token: str, ticket_id: uuid.UUID) -> dict:
    resp = await client.get(
        "/api/sms/messages", params={"ticket_id": str(ticket_id)}, headers={"Authorization": f"Bearer {token}"}
    )
    items = resp.json()["items"]
    return items[0] if items else {}


async def stored_when(client: httpx.AsyncClient, token: str, ticket_id: uuid.UUID, *statuses: str) -> dict:
    async def probe() -> dict:
        row = await stored(client, token, ticket_id)
        return row if row.get("status") in statuses else {}

    return await eventually(probe, timeout=20)


def phone() -> str:
    return f"+86139{uuid.uuid4().int % 10**8:08d}"


async def test_an_accepted_ticket_sends_one_signed_chinese_sms_even_when_redelivered(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    to = phone()
    event = ticket_created(to)
    [envelope] = await publish(migrated.amqp_url, event)
    await publish(migrated.amqp_url, envelope, envelope)  # the same event id again, twice
    messages = await eventually(lambda: sent_to(sink, to))
    token = migrated.token("dispatcher")
    row = await stored_when(notifications_client, token, event.ticket_id, "sent", "delivered")
    assert row["segments"] == 1 and row["encoding"] == "UCS-2"
    assert messages[0]["body"] == f"【居住证运维】您的报修已受理，工单号{event.number}，我们将尽快安排处理。"
    # Later work has gone through the same queue: the duplicates are behind us and sent nothing.
    later = phone()
    await publish(migrated.amqp_url, ticket_created(later))
    await eventually(lambda: sent_to(sink, later))
    assert len(await sent_to(sink, to)) == 1


async def test_provider_outage_is_retried_until_sent_exactly_once(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    await sink.fault("503", count=2)
    await sink.fault("429", count=1)
    to = phone()
    event = ticket_created(to)
    await publish(migrated.amqp_url, event)
    await eventually(lambda: sent_to(sink, to))
    token = migrated.token("admin")
    row = await stored_when(notifications_client, token, event.ticket_id, "sent", "delivered")
    assert row["attempts"] == 4 and len(await sent_to(sink, to)) == 1


async def test_a_permanent_error_fails_at_once_and_is_visible(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    await sink.fault("21211", count=1)
    event = ticket_created(phone())
    await publish(migrated.amqp_url, event)
    token = migrated.token("admin")
    row = await stored_when(notifications_client, token, event.ticket_id, "failed")
    assert row["attempts"] == 1 and row["error_code"] == "21211"


async def test_a_send_that_timed_out_after_acceptance_is_reconciled_not_resent(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    await sink.fault("accept-then-timeout", count=1)  # Twilio took it; we never heard back
    to = phone()
    event = ticket_created(to)
    await publish(migrated.amqp_url, event)
    token = migrated.token("admin")
    row = await stored_when(notifications_client, token, event.ticket_id, "sent", "delivered")
    messages = await sent_to(sink, to)
    assert len(messages) == 1 and row["provider_sid"] == messages[0]["sid"]


async def test_a_timed_out_send_still_queued_at_the_provider_is_reconciled_not_resent(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    """Twilio took the message but still holds it in its queue (no sent date yet) when we list: it is found by
    number, creation time and text, not sent a second time."""
    to = phone()
    await sink.fault("hold-then-timeout", count=1, to=to)
    event = ticket_created(to)
    await publish(migrated.amqp_url, event)
    token = migrated.token("admin")
    row = await stored_when(notifications_client, token, event.ticket_id, "sent", "delivered")
    messages = await sent_to(sink, to)
    assert len(messages) == 1 and messages[0]["status"] == "queued" and messages[0]["date_sent"] is None
    assert row["provider_sid"] == messages[0]["sid"] and row["attempts"] == 2


def _signed(params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC_URL + STATUS_PATH, params)}


async def _queued_message(settings: NotificationsSettings, sid: str) -> uuid.UUID:
    engine = create_engine(settings)
    ticket_id = uuid.uuid4()
    try:
        async with session_factory(engine)() as session, session.begin():
            await service.queue_message(
                session, event_id=uuid.uuid4(), recipient=phone(), body="x", template=None, ticket_id=ticket_id
            )
            from sqlalchemy import text

            # As if the sender had handed it over: sent, with the provider's sid.
            await session.execute(
                text(
                    "UPDATE sms_message SET status = 'sent', provider_sid = :sid, "
                    "next_attempt_at = now() + interval '1 day' WHERE ticket_id = :t"
                ),
                {"sid": sid, "t": ticket_id},
            )
    finally:
        await engine.dispose()
    return ticket_id


async def test_status_callbacks_need_a_valid_signature_and_never_go_backwards(
    notifications_client: httpx.AsyncClient,
    notifications_settings: NotificationsSettings,
    migrated: RunEnvironment,
    worker: object,
) -> None:
    sid = "SM" + uuid.uuid4().hex
    ticket_id = await _queued_message(notifications_settings, sid)
    delivered = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC" + "1" * 32}
    missing = await notifications_client.post(STATUS_PATH, data=delivered)
    forged = await notifications_client.post(STATUS_PATH, data=delivered, headers=_signed(delivered, "wrong-token"))
    assert missing.status_code == forged.status_code == 403
    token = migrated.token("admin")
    await receipts_folded(notifications_settings, sid)
    assert (await stored(notifications_client, token, ticket_id))["status"] == "sent"

    ok = await notifications_client.post(STATUS_PATH, data=delivered, headers=_signed(delivered))
    assert ok.status_code == 204
    await stored_when(notifications_client, token, ticket_id, "delivered")  # applied by the worker
    late_sent = {**delivered, "MessageStatus": "sent"}  # arrives after "delivered"
    assert (await notifications_client.post(STATUS_PATH, data=late_sent, headers=_signed(late_sent))).status_code == 204
    again = await notifications_client.post(STATUS_PATH, data=delivered, headers=_signed(delivered))
    assert again.status_code == 204
    await receipts_folded(notifications_settings, sid)
    assert (await stored(notifications_client, token, ticket_id))["status"] == "delivered"


async def test_numbers_are_masked_for_roles_that_need_not_see_them(
    notifications_client: httpx.AsyncClient, notifications_settings: NotificationsSettings, migrated: RunEnvironment
) -> None:
    ticket_id = await _queued_message(notifications_settings, "SM" + uuid.uuid4().hex)
    full = await stored(notifications_client, migrated.token("dispatcher"), ticket_id)
    masked = await stored(notifications_client, migrated.token("supervisor"), ticket_id)
    assert full["to"].startswith("+86139") and "*" not in full["to"]
    assert masked["to"] == full["to"][:6] + "****" + full["to"][-4:]
