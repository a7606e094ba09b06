"""Rules as data (each trigger's SMS, templates checked when saved, rules switched off), replies (signed,
once: confirm, reopen, opt-out), opt-outs versus escalations, quiet hours, the per-recipient limit,
business SMS with Idempotency-Key, and the circuit breaker."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from asgi_lifespan import LifespanManager
from twilio.request_validator import RequestValidator

from notifications.config import NotificationsSettings
from notifications.main import create_app
from notifications.messages.breaker import CircuitBreaker
from notifications.messaging.consumers import subscriptions
from notifications.worker import background_tasks, provider_for
from opsdesk_shared.contracts import assets as a
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts import intake as i
from opsdesk_shared.contracts.notifications import SmsReplyReceived
from opsdesk_shared.contracts.vocabulary import Channel
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.phones import display_phone
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import EventTap, eventually, publish, running_worker

from .conftest import AUTH_TOKEN, PUBLIC_URL, Sink, ticket_created

INBOUND_PATH = "/api/sms/webhooks/twilio/inbound"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
async def worker(notifications_settings: NotificationsSettings) -> AsyncIterator[None]:
    engine = create_engine(notifications_settings)
    sessions = session_factory(engine)
    provider = provider_for(notifications_settings)
    async with running_worker(
        notifications_settings,
        sessions,
        subscriptions(notifications_settings),
        background_tasks(notifications_settings, sessions, provider),
    ):
        yield
    await provider.close()
    await engine.dispose()


def phone() -> str:
    return f"+86137{uuid.uuid4().int % 10**8:08d}"


def step(t: i.TicketCreated) -> dict:
    return {
        "ticket_id": t.ticket_id,
        "number": t.number,
        "unit_id": t.unit_id,
        "requester_name": "李强",
        "requester_phone": t.requester_phone,
        "at": datetime.now(UTC),
    }


async def texts_to(sink: Sink, to: str) -> list[str]:
    return [m["body"] for m in await sink.messages() if m["to"] == to]


async def test_each_rule_sends_its_text_to_its_audience(worker: None, sink: Sink, migrated: RunEnvironment) -> None:
    requester, engineer, dispatcher, manager = phone(), phone(), phone(), phone()
    t = ticket_created(requester)
    await publish(migrated.amqp_url, t)
    await eventually(lambda: texts_to(sink, requester))
    arrival = datetime(2026, 11, 25, 2, 30, tzinfo=UTC)  # 10:30 in Beijing
    await publish(
        migrated.amqp_url,
        d.WorkOrderAssigned(
            work_order_id=uuid.uuid4(),
            ticket_id=t.ticket_id,
            ticket_number=t.number,
            status="assigned",
            engineer_id=uuid.uuid4(),
            engineer_name="刘洋",
            engineer_phone=engineer,
            at=datetime.now(UTC),
            expected_arrival_at=arrival,
        ),
        i.TicketStatusChanged(
            ticket_id=t.ticket_id,
            number=t.number,
            from_status="assigned",
            to_status="pending",
            reason="请提供设备序列号",
            changed_at=datetime.now(UTC),
        ),
        i.TicketCommented(**step(t), comment_id=uuid.uuid4(), public=True, body="工程师已出发", author_name="op"),
        i.TicketCommented(**step(t), comment_id=uuid.uuid4(), public=False, body="内部备注", author_name="op"),
        i.TicketCommented(**step(t), comment_id=uuid.uuid4(), public=True, body="谢谢", author_is_staff=False),
        i.TicketResolved(**step(t), resolution_code="replaced_part"),
        d.SlaBreached(
            ticket_id=t.ticket_id,
            ticket_number=t.number,
            clock_id=uuid.uuid4(),
            metric="arrival",
            due_at=arrival,
            fired_at=arrival,
            breached_at=arrival,
            recipients=[
                d.Recipient(user_id=uuid.uuid4(), display_name="调度", phone=dispatcher, reason="dispatcher"),
                d.Recipient(user_id=uuid.uuid4(), display_name="项目经理", phone=manager, reason="project_manager"),
            ],
        ),
    )
    # The requester's news may come merged into fewer SMS (messages/merging.py): wait for the last of it, then
    # read it all.
    await eventually(lambda: _all(sink, requester, "刘洋", "请提供设备序列号", "工程师已出发", "回复1确认"))
    texts = await texts_to(sink, requester)
    assert all(text.startswith("【居住证运维】") for text in texts)
    assert any(f"工单号{t.number}" in x for x in texts)  # accepted
    # engineer assigned, the engineer's number as people dial it (`138 0001 0005`, not `+8613800010005`)
    assert any("刘洋" in x and display_phone(engineer) in x and "11-25 10:30" in x for x in texts)
    assert not any(engineer in x for x in texts)
    assert any("请提供设备序列号" in x for x in texts)  # pending: what is needed
    assert any("工程师已出发" in x for x in texts)  # a public staff comment
    assert any("回复1确认" in x for x in texts)  # resolved: please confirm
    assert not any("内部备注" in x or "谢谢" in x for x in texts)  # internal / the requester's own
    assert any(t.number in x for x in await texts_to(sink, engineer))
    for staff in (dispatcher, manager):
        [alarm] = await eventually(partial(texts_to, sink, staff))
        assert "到场" in alarm and "超时" in alarm


async def _all(sink: Sink, to: str, *words: str) -> bool:
    texts = await texts_to(sink, to)
    return all(any(word in x for x in texts) for word in words)


async def test_templates_are_checked_when_saved_and_rules_can_be_switched_off(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}
    bad = await notifications_client.put(
        "/api/sms/templates/ticket_accepted",
        headers=admin,
        json={"body": "工单{number}，报修人{requester_id}", "trigger": "ticket_accepted"},
    )
    assert bad.status_code == 422 and bad.json()["variable"] == "requester_id"
    good = await notifications_client.put(
        "/api/sms/templates/accepted_v2",
        headers=admin,
        json={"body": "已收到您的报修「{title}」，单号{number}。", "trigger": "ticket_accepted"},
    )
    assert good.status_code == 200 and good.json()["variables"] == ["title", "number"]
    switched = await notifications_client.patch(
        "/api/sms/rules/ticket_accepted", headers=admin, json={"template_code": "accepted_v2"}
    )
    assert switched.status_code == 200
    first = phone()
    await publish(migrated.amqp_url, ticket_created(first))
    [text] = await eventually(lambda: texts_to(sink, first))
    assert text.startswith("【居住证运维】已收到您的报修「读卡器故障」")
    unfit = await notifications_client.patch(
        "/api/sms/rules/ticket_resolved", headers=admin, json={"template_code": "accepted_v2"}
    )
    assert unfit.status_code == 422  # {title} is not something ticket.resolved provides
    assert (
        await notifications_client.patch("/api/sms/rules/ticket_accepted", headers=admin, json={"enabled": False})
    ).status_code == 200
    silent = phone()
    await publish(migrated.amqp_url, ticket_created(silent), ticket_created(first))
    # A message after them through another rule proves they were consumed while the rule was off: the
    # worker handles the queue in order. (Switching the rule back on before that raced the worker.)
    marker = phone()
    resolved = ticket_created(marker)
    await publish(migrated.amqp_url, i.TicketResolved(**step(resolved), resolution_code="guided_fix"))
    await eventually(lambda: texts_to(sink, marker))
    assert await texts_to(sink, silent) == []
    assert len(await texts_to(sink, first)) == 1
    await notifications_client.patch(
        "/api/sms/rules/ticket_accepted", headers=admin, json={"enabled": True, "template_code": "ticket_accepted"}
    )
    dispatcher = {"Authorization": f"Bearer {migrated.token('dispatcher')}"}
    assert (
        await notifications_client.patch("/api/sms/rules/ticket_accepted", headers=dispatcher, json={"enabled": False})
    ).status_code == 403


def signed(params: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(PUBLIC_URL + INBOUND_PATH, params)}


async def test_replies_confirm_reopen_and_opt_out_once_each_and_only_when_signed(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    requester = phone()
    t = ticket_created(requester)
    await publish(migrated.amqp_url, t, i.TicketResolved(**step(t), resolution_code="guided_fix"))
    await eventually(lambda: _any(sink, requester, "回复1确认"))  # accepted and resolved, maybe in one SMS
    reply = {"MessageSid": "SM" + uuid.uuid4().hex, "From": requester, "To": "+15005550006", "Body": "１"}
    assert (await notifications_client.post(INBOUND_PATH, data=reply)).status_code == 403
    assert (
        await notifications_client.post(INBOUND_PATH, data=reply, headers=signed(reply, "forged"))
    ).status_code == 403
    async with EventTap(migrated.amqp_url, "sms.reply_received") as tap:
        for _ in range(2):  # Twilio retries a webhook: the reply counts once
            ok = await notifications_client.post(INBOUND_PATH, data=reply, headers=signed(reply))
            assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/xml")
        await eventually(lambda: tap.of("sms.reply_received", ticket_id=t.ticket_id))
    [event] = tap.of("sms.reply_received", ticket_id=t.ticket_id)
    reply_event = event.parse(SmsReplyReceived)
    assert reply_event.intent == "confirm" and reply_event.from_phone == requester
    assert event.data["from_phone"].startswith("v1:")  # sealed in the event as it travels and rests

    stop = {"MessageSid": "SM" + uuid.uuid4().hex, "From": requester, "To": "+15005550006", "Body": " 退订 "}
    assert (await notifications_client.post(INBOUND_PATH, data=stop, headers=signed(stop))).status_code == 200
    later = ticket_created(requester)
    await publish(
        migrated.amqp_url,
        later,
        d.SlaWarning(
            ticket_id=later.ticket_id,
            ticket_number=later.number,
            clock_id=uuid.uuid4(),
            metric="resolution",
            due_at=datetime.now(UTC),
            fired_at=datetime.now(UTC),
            warn_at=datetime.now(UTC),
            recipients=[
                d.Recipient(user_id=uuid.uuid4(), display_name="x", phone=requester, reason="on_duty_dispatcher")
            ],
        ),
    )
    # The escalation (staff duty) still goes out; the acceptance notice does not.
    await eventually(lambda: _any(sink, requester, "预警"))
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}
    stored = await notifications_client.get(
        "/api/sms/messages", params={"ticket_id": str(later.ticket_id)}, headers=admin
    )
    statuses = {m["template"]: m["status"] for m in stored.json()["items"]}
    assert statuses["ticket_accepted"] == "suppressed"
    assert not any(later.number in x and "受理" in x for x in await texts_to(sink, requester))
    opt_outs = await notifications_client.get("/api/sms/opt-outs", headers=admin)
    assert requester in [o["phone"] for o in opt_outs.json()]


async def _any(sink: Sink, to: str, word: str) -> bool:
    return any(word in x for x in await texts_to(sink, to))


@pytest.fixture
async def strict_client(notifications_settings: NotificationsSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The API with quiet hours around now (Asia/Shanghai) and at most two messages per hour per number."""
    now = datetime.now(SHANGHAI)
    settings = notifications_settings.model_copy(
        update={
            "sms_quiet_hours_start": (now - timedelta(hours=1)).time().replace(microsecond=0),
            "sms_quiet_hours_end": (now + timedelta(hours=1)).time().replace(second=0, microsecond=0),
            "sms_per_recipient_per_hour": 2,
        }
    )
    app = create_app(settings)
    async with (
        LifespanManager(app) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url=PUBLIC_URL) as client,
    ):
        yield client


def system(migrated: RunEnvironment, *scopes: str, subject: uuid.UUID | None = None) -> dict[str, str]:
    token = migrated.token("system", scopes=list(scopes), subject=subject, name="api-key:residence-permit")
    return {"Authorization": f"Bearer {token}"}


async def test_quiet_hours_defer_non_urgent_business_sms_and_the_rate_limit_spreads_a_flood(
    worker: None, sink: Sink, migrated: RunEnvironment, strict_client: httpx.AsyncClient
) -> None:
    client = system(migrated, "sms:send")
    night, urgent = phone(), phone()
    deferred = await strict_client.post("/api/sms/messages", headers=client, json={"to": night, "body": "居住证已制好"})
    assert deferred.status_code == 202
    now_one = await strict_client.post(
        "/api/sms/messages", headers=client, json={"to": urgent, "body": "请今日内补交材料", "urgent": True}
    )
    await eventually(lambda: texts_to(sink, urgent))
    listed = await strict_client.get("/api/sms/messages", params={"to": night}, headers=client)
    [message] = listed.json()["items"]
    not_before = datetime.fromisoformat(message["next_attempt_at"]).astimezone(SHANGHAI)
    assert message["status"] == "queued" and not_before > datetime.now(SHANGHAI) + timedelta(minutes=30)
    assert await texts_to(sink, night) == []
    # Urgent skips quiet hours but not the per-number limit: the third within the hour waits an hour.
    for _ in range(2):
        await strict_client.post("/api/sms/messages", headers=client, json={"to": urgent, "body": "x", "urgent": True})
    flood = await strict_client.get("/api/sms/messages", params={"to": urgent}, headers=client)
    waits = sorted(datetime.fromisoformat(m["next_attempt_at"]) for m in flood.json()["items"] if m["next_attempt_at"])
    assert waits and waits[-1] > datetime.now(UTC) + timedelta(minutes=50)
    assert now_one.status_code == 202


async def test_business_batches_are_all_or_nothing_and_idempotent(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}
    template = await notifications_client.put(
        "/api/sms/templates/permit_ready",
        headers=admin,
        json={"body": "{name}您好，您的居住证已制好，请到{station}领取。"},
    )
    assert template.status_code == 200
    client = system(migrated, "sms:send", subject=uuid.uuid4())
    numbers = [phone() for _ in range(3)]
    batch = {
        "template": "permit_ready",
        "messages": [
            {"to": n, "variables": {"name": f"用户{k}", "station": "望京派出所"}} for k, n in enumerate(numbers)
        ],
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await notifications_client.post("/api/sms/messages/batch", json=batch, headers={**client, **key})
    again = await notifications_client.post("/api/sms/messages/batch", json=batch, headers={**client, **key})
    assert first.status_code == again.status_code == 202
    assert first.json()["ids"] == again.json()["ids"] and again.headers["Idempotent-Replayed"] == "true"
    for n in numbers:
        [text] = await eventually(partial(texts_to, sink, n))
        assert "望京派出所" in text
    changed = await notifications_client.post(
        "/api/sms/messages/batch", headers={**client, **key}, json={**batch, "messages": batch["messages"][:1]}
    )
    assert changed.status_code == 422
    broken: dict[str, Any] = {
        "template": "permit_ready",
        "messages": [{"to": phone(), "variables": {"name": "a", "station": "b"}}, {"to": "12345", "variables": {}}],
    }
    refused = await notifications_client.post("/api/sms/messages/batch", json=broken, headers=client)
    assert refused.status_code == 422 and refused.json()["field"] == "messages[1].to"
    assert await texts_to(sink, broken["messages"][0]["to"]) == []  # nothing of a refused batch is sent
    missing = await notifications_client.post(
        "/api/sms/messages",
        headers=client,
        json={"to": phone(), "template": "permit_ready", "variables": {"name": "a"}},
    )
    assert missing.status_code == 422
    no_scope = await notifications_client.post(
        "/api/sms/messages", headers=system(migrated), json={"to": phone(), "body": "x"}
    )
    assert no_scope.status_code == 403
    too_many = {"body": "x", "messages": [{"to": phone()} for _ in range(1001)]}
    assert (
        await notifications_client.post("/api/sms/messages/batch", json=too_many, headers=client)
    ).status_code == 422


def test_the_breaker_opens_after_repeated_failures_and_lets_one_trial_through() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, cooldown_s=10, clock=lambda: now[0])
    for _ in range(3):
        assert breaker.allowance(32) == 32
        breaker.failed()
    assert breaker.state == "open" and breaker.allowance(32) == 0
    now[0] = 11
    assert breaker.allowance(32) == 1 and breaker.allowance(32) == 0  # one trial at a time
    breaker.failed(retry_after_s=60)  # the provider asks for a minute: longer than our cooldown
    now[0] = 60
    assert breaker.state == "open"
    now[0] = 72
    assert breaker.allowance(32) == 1
    breaker.succeeded()
    assert breaker.state == "closed" and breaker.allowance(32) == 32


async def test_the_assignment_sms_tells_the_engineer_where_and_whom_to_call(
    worker: None, sink: Sink, migrated: RunEnvironment
) -> None:
    requester, engineer = phone(), phone()
    t = ticket_created(requester)
    await publish(migrated.amqp_url, t)
    await eventually(lambda: texts_to(sink, requester))
    await publish(
        migrated.amqp_url,
        d.WorkOrderAssigned(
            work_order_id=uuid.uuid4(),
            ticket_id=t.ticket_id,
            ticket_number=t.number,
            status="assigned",
            engineer_id=uuid.uuid4(),
            engineer_name="刘洋",
            engineer_phone=engineer,
            at=datetime.now(UTC),
            expected_arrival_at=datetime(2026, 11, 25, 2, 30, tzinfo=UTC),
            unit_name="望京派出所",
            location="户籍室二号窗口",
        ),
    )
    [text] = await eventually(lambda: texts_to(sink, engineer))
    # The engineer is party to the job: the requester's number in full, as people dial it.
    assert t.number in text and "望京派出所" in text and "户籍室二号窗口" in text
    assert "李强" in text and display_phone(requester) in text and "11-25 10:30" in text


async def test_a_duplicates_requester_is_told_the_surviving_number_and_internal_notes_never_go_out(
    worker: None, sink: Sink, migrated: RunEnvironment
) -> None:
    requester = phone()
    t = ticket_created(requester)
    await publish(migrated.amqp_url, t)
    await eventually(lambda: texts_to(sink, requester))
    await publish(
        migrated.amqp_url,
        i.TicketCommented(**step(t), comment_id=uuid.uuid4(), public=False, body="疑似重复，待核实", author_name="op"),
        i.TicketCancelled(
            **step(t),
            reason="duplicate of 20261207-0042",
            duplicate_of=uuid.uuid4(),
            duplicate_of_number="20261207-0042",
        ),
    )
    await eventually(lambda: _all(sink, requester, "20261207-0042"))
    texts = await texts_to(sink, requester)
    assert any(t.number in x and "20261207-0042" in x and "重复" in x for x in texts)
    assert not any("疑似重复" in x for x in texts)
    # A plain cancellation (not a duplicate) names no other ticket and sends nothing of the kind.
    other = phone()
    plain = ticket_created(other)
    await publish(migrated.amqp_url, plain, i.TicketCancelled(**step(plain), reason="报修人撤回"))
    marker = ticket_created(other)
    await publish(migrated.amqp_url, i.TicketResolved(**step(marker), resolution_code="guided_fix"))
    await eventually(lambda: _all(sink, other, "回复1确认"))
    assert not any("重复" in x for x in await texts_to(sink, other))


async def test_an_inspection_ticket_texts_no_requester(worker, sink: Sink, migrated: RunEnvironment) -> None:  # type: ignore[no-untyped-def]
    """Issue 16: a finding's ticket has the vendor's own engineer as reporter; nobody is told it was accepted,
    even should its `ticket.created` carry a phone."""
    reporter, engineer = phone(), phone()
    t = ticket_created(reporter).model_copy(update={"channel": Channel.INSPECTION, "requester_name": "张工"})
    await publish(
        migrated.amqp_url,
        t,
        d.WorkOrderAssigned(
            work_order_id=uuid.uuid4(),
            ticket_id=t.ticket_id,
            ticket_number=t.number,
            status="assigned",
            engineer_id=uuid.uuid4(),
            engineer_name="刘洋",
            engineer_phone=engineer,
            at=datetime.now(UTC),
        ),
    )
    # The engineer's SMS names the reporter: the ticket's creation was handled before it.
    [assignment] = await eventually(lambda: texts_to(sink, engineer), timeout=30)
    assert "张工" in assignment and display_phone(reporter) not in assignment
    # Neither "accepted" nor "an engineer is coming" went to the reporter.
    assert not any(m["to"] == reporter for m in await sink.messages())


def stock_low(*managers: str, store: str | None = "市局备件库") -> a.SparesStockLow:
    return a.SparesStockLow(
        part_id=uuid.uuid4(),
        part_number=f"HD-{uuid.uuid4().hex[:6].upper()}",
        name="600G SAS硬盘",
        on_hand=1,
        minimum=3,
        store_id=uuid.uuid4() if store else None,
        store_name=store,
        crossed_at=datetime.now(UTC),
        recipients=[
            d.Recipient(user_id=uuid.uuid4(), display_name="吴刚", phone=m, reason="project_manager") for m in managers
        ],
    )


async def test_a_part_below_its_minimum_texts_each_project_manager_once_even_when_redelivered(
    worker: None, sink: Sink, migrated: RunEnvironment, notifications_client: httpx.AsyncClient
) -> None:
    """Issue 16: `spares.stock_low` names the project managers assets knows; each gets one SMS, the same event
    delivered again sends nothing more."""
    first, second = phone(), phone()
    low = stock_low(first, second)
    [envelope] = await publish(migrated.amqp_url, low)
    await publish(migrated.amqp_url, envelope)  # redelivered: the same event id
    # A later SMS to the same manager proves the redelivery was handled before it (the queue is consumed in
    # order), so a second SMS of the first event would be there by now.
    later = stock_low(first, store=None)
    await publish(migrated.amqp_url, later)
    await eventually(lambda: _all(sink, first, later.part_number))
    texts = await texts_to(sink, first)
    [text] = [x for x in texts if low.part_number in x]
    assert (
        text
        == f"【居住证运维】备件低于最低库存：600G SAS硬盘 {low.part_number}（市局备件库）合计现有1，最低3，请及时补货。"
    )
    assert any(later.part_number in x and "（各库房）" in x for x in texts)  # the minimum raised: no store moved
    [other] = await eventually(partial(texts_to, sink, second))
    assert low.part_number in other
    # The rule is data like the others: listed for the admin with its audience, its text editable.
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}
    rules = {r["trigger"]: r for r in (await notifications_client.get("/api/sms/rules", headers=admin)).json()}
    rule = rules["spares_stock_low"]
    assert (rule["audience"], rule["template_code"], rule["enabled"], rule["urgent"]) == (
        "project_manager",
        "spares_stock_low",
        True,
        False,
    )
    # Seeded ready for Aliyun too: its parameters named as the variables (the template code is Aliyun's to give).
    templates = (await notifications_client.get("/api/sms/templates", headers=admin)).json()
    [template] = [t for t in templates if t["code"] == "spares_stock_low"]
    assert template["provider_params"] == {"part": "part", "store": "store", "on_hand": "on_hand", "minimum": "minimum"}
