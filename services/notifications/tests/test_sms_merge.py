"""A busy number keeps hearing from us: a police station whose one duty phone files a dozen tickets gets every
ticket's news without an hour's wait, merged into a few SMS that name each ticket; the per-number hourly limit
still holds business SMS, which is what it is for. Events through the real broker to a real worker, the SMS
to the Twilio-compatible sink."""

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from notifications.config import NotificationsSettings
from notifications.messaging.consumers import subscriptions
from notifications.worker import background_tasks, provider_for
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish, running_worker

from .conftest import Sink, ticket_created

MERGE_WINDOW_S = 2.0
TICKET_NUMBER = re.compile(r"\d{8}-\d{4}")


@pytest.fixture(scope="module")
def merge_settings(notifications_settings: NotificationsSettings) -> NotificationsSettings:
    return notifications_settings.model_copy(update={"sms_merge_window_s": MERGE_WINDOW_S})


@pytest.fixture(scope="module")
async def worker(merge_settings: NotificationsSettings) -> AsyncIterator[None]:
    engine = create_engine(merge_settings)
    sessions = session_factory(engine)
    provider = provider_for(merge_settings)
    async with running_worker(
        merge_settings, sessions, subscriptions(merge_settings), background_tasks(merge_settings, sessions, provider)
    ):
        yield
    await provider.close()
    await engine.dispose()


def phone() -> str:
    return f"+86135{uuid.uuid4().int % 10**8:08d}"


async def texts_to(sink: Sink, to: str) -> list[str]:
    return [m["body"] for m in await sink.messages() if m["to"] == to]


async def messages_of(client: httpx.AsyncClient, token: str, ticket_id: uuid.UUID) -> list[dict]:
    resp = await client.get(
        "/api/sms/messages", params={"ticket_id": str(ticket_id)}, headers={"Authorization": f"Bearer {token}"}
    )
    return list(resp.json()["items"])


async def test_a_dozen_tickets_from_one_phone_all_hear_from_us_merged_and_the_limit_still_holds_business_sms(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    station = phone()
    first = uuid.uuid4().int % 9000
    tickets = [ticket_created(station).model_copy(update={"number": f"20261207-{first + k:04d}"}) for k in range(12)]
    started = datetime.now(UTC)
    await publish(migrated.amqp_url, *tickets)

    async def every_ticket_named() -> list[str] | None:
        texts = await texts_to(sink, station)
        named = {n for text in texts for n in TICKET_NUMBER.findall(text)}
        return texts if named >= {t.number for t in tickets} else None

    # Seconds, not the hour the per-number limit used to hold the 11th and 12th acceptance for.
    texts = await eventually(every_ticket_named, timeout=30)
    assert datetime.now(UTC) - started < timedelta(seconds=30)
    # Each acceptance said once, in fewer SMS than tickets, each SMS the signature once.
    named = [n for text in texts for n in TICKET_NUMBER.findall(text)]
    assert sorted(named) == sorted(t.number for t in tickets)
    assert len(texts) < len(tickets)
    assert all(text.startswith("【居住证运维】") and text.count("【居住证运维】") == 1 for text in texts)
    assert all("受理" in text for text in texts)
    # Each ticket's own acceptance is recorded as sent (as part of the SMS that carried it).
    token = migrated.token("dispatcher")
    for t in tickets:

        async def sent(t: TicketCreated = t) -> bool:
            rows = await messages_of(notifications_client, token, t.ticket_id)
            return bool(rows) and all(r["status"] in ("sent", "delivered") for r in rows)

        await eventually(sent, timeout=20)

    # Then an engineer is on the way for one of them: that news arrives too.
    chosen = tickets[4]
    await publish(
        migrated.amqp_url,
        d.WorkOrderAssigned(
            work_order_id=uuid.uuid4(),
            ticket_id=chosen.ticket_id,
            ticket_number=chosen.number,
            status="assigned",
            engineer_id=uuid.uuid4(),
            engineer_name="陈静",
            engineer_phone=phone(),
            at=datetime.now(UTC),
            expected_arrival_at=datetime.now(UTC) + timedelta(hours=2),
        ),
    )

    async def engineer_news() -> list[str]:
        return [x for x in await texts_to(sink, station) if "陈静" in x and chosen.number in x]

    [news] = await eventually(engineer_news, timeout=20)
    assert "已派工程师" in news

    # The hourly limit is for business SMS: the station's number still gets at most 10 of those an hour.
    client = {"Authorization": f"Bearer {migrated.token('system', scopes=['sms:send'], name='api-key:permit')}"}
    for k in range(11):
        resp = await notifications_client.post(
            "/api/sms/messages", headers=client, json={"to": station, "body": f"居住证业务通知{k}"}
        )
        assert resp.status_code == 202
    listed = await notifications_client.get("/api/sms/messages", params={"to": station}, headers=client)
    business = listed.json()["items"]
    assert len(business) == 11 and all("业务通知" in m["body"] for m in business)
    in_an_hour = datetime.now(UTC) + timedelta(minutes=50)
    held = [m for m in business if m["next_attempt_at"] and datetime.fromisoformat(m["next_attempt_at"]) > in_an_hour]
    assert len(held) == 1 and held[0]["status"] == "queued"

    async def ten_business_sms() -> bool:
        return len([x for x in await texts_to(sink, station) if "业务通知" in x]) >= 10

    await eventually(ten_business_sms, timeout=20)


async def test_the_rules_say_which_sms_are_ticket_news(
    notifications_client: httpx.AsyncClient, migrated: RunEnvironment
) -> None:
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}
    rules = {r["trigger"]: r for r in (await notifications_client.get("/api/sms/rules", headers=admin)).json()}
    news = {trigger for trigger, rule in rules.items() if rule["ticket_news"]}
    assert news == {
        "ticket_accepted",
        "engineer_assigned",
        "ticket_pending",
        "public_comment",
        "ticket_resolved",
        "ticket_duplicate",
        "assignment_to_engineer",
    }
    assert all(rules[t]["urgent"] for t in ("sla_warning", "sla_breached"))  # escalations go at once anyway
