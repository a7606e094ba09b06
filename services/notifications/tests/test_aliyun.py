"""SMS through Alibaba Cloud SMS (OPSDESK_SMS_PROVIDER=aliyun), against the Dysmsapi stand-in (tools/aliyun_sink)
as real HTTP servers: the official SDK signs every call and the stand-in verifies it with the configured secret;
delivery reports and replies are pushed back over HTTP to the notifications API."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select, text

from aliyun_sink.app import SinkConfig
from aliyun_sink.app import create_app as create_aliyun_sink
from notifications.config import NotificationsSettings
from notifications.inbound.models import SmsOptOut
from notifications.main import create_app
from notifications.messages import service
from notifications.messages.models import SmsMessage, SmsOrphanCallback, SmsStatusChange
from notifications.messaging.consumers import subscriptions
from notifications.providers.aliyun import provider_sid
from notifications.worker import background_tasks, provider_for
from opsdesk_shared.contracts import assets as a
from opsdesk_shared.contracts import dispatch as d
from opsdesk_shared.contracts import intake as i
from opsdesk_shared.contracts.notifications import SmsReplyReceived
from opsdesk_shared.db import create_engine, session_factory
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import EventTap, eventually, publish, running_worker

from .conftest import free_port, receipts_folded, serve, ticket_created

KEY_ID = "LTAI5tTestOpsDesk"
KEY_SECRET = "aliyun-test-secret-456"
# Rules' templates as an admin registers them with Aliyun (codes Aliyun gave, parameters named as the variables).
PROVIDER_CODES = {
    "ticket_accepted": "SMS_480001001",
    "ticket_resolved": "SMS_480001002",
    "spares_stock_low": "SMS_480001004",
}
BUSINESS_CODE = "SMS_480009001"


@dataclass
class Aliyun:
    sink: str
    api: str
    settings: NotificationsSettings

    async def get(self) -> dict:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"{self.sink}/_sink/messages")).json()

    async def to(self, phone: str) -> list[dict]:
        return [m for m in (await self.get())["messages"] if m["to"] == phone]

    async def fault(self, mode: str, count: int = 1, to: str | None = None, message: str | None = None) -> None:
        async with httpx.AsyncClient() as client:
            body = {"mode": mode, "count": count, "to": to, "message": message}
            assert (await client.post(f"{self.sink}/_sink/faults", json=body)).status_code == 204

    async def reply(self, phone: str, content: str) -> None:
        async with httpx.AsyncClient() as client:
            await client.post(f"{self.sink}/_sink/reply", json={"from": phone, "content": content})


@pytest.fixture(scope="module")
async def aliyun(migrated: RunEnvironment) -> AsyncIterator[Aliyun]:
    """The stand-in and the notifications API as real servers (the stand-in pushes to the API), and the worker."""
    sink_port, api_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    settings = migrated.settings(
        NotificationsSettings,
        sms_provider="aliyun",
        aliyun_access_key_id=KEY_ID,
        aliyun_access_key_secret=KEY_SECRET,
        aliyun_sign_name="居住证运维",
        aliyun_endpoint=f"http://127.0.0.1:{sink_port}",
        aliyun_timeout_s=1.0,
        aliyun_push_networks=["127.0.0.1/32"],
        public_url=api,
        sms_backoff_base_s=0.05,
        sms_quiet_hours_start=time(0, 0),
        sms_quiet_hours_end=time(0, 0),
        sms_breaker_cooldown_s=0.5,
    )
    config = SinkConfig(
        access_key_id=KEY_ID,
        access_key_secret=KEY_SECRET,
        report_url=f"{api}/api/sms/webhooks/aliyun/report",
        up_url=f"{api}/api/sms/webhooks/aliyun/up",
    )
    sink_server, sink_task = await serve(create_aliyun_sink(config), sink_port)
    api_server, api_task = await serve(create_app(settings), api_port)
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}
    async with httpx.AsyncClient(base_url=api) as client:
        for code, provider_code in PROVIDER_CODES.items():
            template = next(
                t for t in (await client.get("/api/sms/templates", headers=admin)).json() if t["code"] == code
            )
            mapping = {name: name for name in template["variables"]}
            resp = await client.put(
                f"/api/sms/templates/{code}",
                headers=admin,
                json={
                    "body": template["body"],
                    "trigger": template["trigger"],
                    "provider_code": provider_code,
                    "provider_params": mapping,
                },
            )
            assert resp.status_code == 200, resp.text
        resp = await client.put(
            "/api/sms/templates/aliyun_notice",
            headers=admin,
            json={
                "body": "您的居住证{stage}，请于{date}前到{place}领取。",
                "provider_code": BUSINESS_CODE,
                "provider_params": {"stage": "stage", "date": "date", "place": "place"},
            },
        )
        assert resp.status_code == 200, resp.text
    engine = create_engine(settings)
    sessions = session_factory(engine)
    provider = provider_for(settings)
    async with running_worker(
        settings, sessions, subscriptions(settings), background_tasks(settings, sessions, provider)
    ):
        yield Aliyun(f"http://127.0.0.1:{sink_port}", api, settings)
    await provider.close()
    await engine.dispose()
    for server, task in ((api_server, api_task), (sink_server, sink_task)):
        server.should_exit = True
        await task


def step(t: i.TicketCreated) -> dict:
    return {
        "ticket_id": t.ticket_id,
        "number": t.number,
        "unit_id": t.unit_id,
        "requester_name": "李强",
        "requester_phone": t.requester_phone,
        "at": datetime.now(UTC),
    }


def phone() -> str:
    return f"+86137{uuid.uuid4().int % 10**8:08d}"


async def message_for(migrated: RunEnvironment, ticket_id: uuid.UUID, *statuses: str) -> SmsMessage:
    engine = create_engine(migrated.settings(NotificationsSettings))
    sessions = session_factory(engine)

    async def probe() -> SmsMessage | None:
        async with sessions() as session:  # closed, not expired: the row keeps what was read
            row = await session.scalar(select(SmsMessage).where(SmsMessage.ticket_id == ticket_id))
        return row if row is not None and row.status in statuses else None

    try:
        return await eventually(probe, timeout=20)
    finally:
        await engine.dispose()


async def history(migrated: RunEnvironment, message_id: uuid.UUID) -> list[tuple[str, str]]:
    engine = create_engine(migrated.settings(NotificationsSettings))
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(SmsStatusChange.status, SmsStatusChange.source)
                .where(SmsStatusChange.message_id == message_id)
                .order_by(SmsStatusChange.id)
            )
            return [(s, src) for s, src in rows.all()]
    finally:
        await engine.dispose()


async def test_a_ticket_sends_its_template_with_out_id_and_the_pushed_report_delivers_it(
    aliyun: Aliyun, migrated: RunEnvironment
) -> None:
    """End to end through the aliyun path: event -> queued -> SendSms (signed, template code and parameters,
    OutId = our id) -> SmsReport pushed back -> delivered, with its history."""
    to = phone()
    event = ticket_created(to)
    [envelope] = await publish(migrated.amqp_url, event)
    await publish(migrated.amqp_url, envelope)  # redelivered: still one SMS
    message = await message_for(migrated, event.ticket_id, "delivered")
    [sent] = await aliyun.to(to)
    assert sent["template_code"] == PROVIDER_CODES["ticket_accepted"] and sent["sign_name"] == "居住证运维"
    assert sent["params"] == {"number": event.number}
    assert sent["out_id"] == str(message.id) and message.out_id == str(message.id)
    assert message.provider == "aliyun" and message.error_code is None
    assert [s for s, _ in await history(migrated, message.id)] == ["queued", "sending", "sent", "delivered"]
    state = await aliyun.get()
    assert state["refused_signatures"] == 0 and any(p["kind"] == "report" and p["answer"] == 0 for p in state["pushes"])


async def test_an_uncertain_send_is_reconciled_with_query_send_details_not_resent(
    aliyun: Aliyun, migrated: RunEnvironment
) -> None:
    to = phone()
    await aliyun.fault("accept-then-timeout", count=1, to=to)  # Aliyun took it; we never heard back
    event = ticket_created(to)
    await publish(migrated.amqp_url, event)
    message = await message_for(migrated, event.ticket_id, "sent", "delivered")
    assert len(await aliyun.to(to)) == 1
    assert ("sent", "reconcile") in await history(migrated, message.id)
    assert (await aliyun.get())["calls"].get("QuerySendDetails", 0) >= 1


async def test_the_provider_failing_then_recovering_sends_every_sms_exactly_once(
    aliyun: Aliyun, migrated: RunEnvironment
) -> None:
    """The provider-fault drill for Aliyun: 503s, user flow control, time-outs that took nothing and calls that took
    the message but never answered, then recovery. Every SMS arrives once."""
    faults = [("503", 4), ("throttling", 4), ("timeout", 2), ("accept-then-timeout", 2)]
    for mode, count in faults:
        await aliyun.fault(mode, count)
    before = (await aliyun.get())["requests"]
    events = [ticket_created(phone()) for _ in range(10)]
    await publish(migrated.amqp_url, *events)
    targets = {e.requester_phone for e in events}

    async def all_arrived() -> list[dict] | None:
        got = [m for m in (await aliyun.get())["messages"] if m["to"] in targets]
        return got if {m["to"] for m in got} == targets else None

    await eventually(all_arrived, timeout=60)
    for event in events:  # each recorded as sent (a time-out left to reconciliation is found, not sent again)
        await message_for(migrated, event.ticket_id, "sent", "delivered")
    sent = [m["to"] for m in (await aliyun.get())["messages"] if m["to"] in targets]
    doubled = len(sent) - len(set(sent))
    requests = (await aliyun.get())["requests"] - before
    print(
        f"\nAliyun failing (4×503, 4×Throttling.User, 2 time-outs, 2 accepted without an answer), then recovering: "
        f"accepted {len(events)}, sent {len(set(sent))}, doubled {doubled}; provider requests {requests}"
    )
    assert len(set(sent)) == len(events) and doubled == 0
    assert requests >= 10 + 4 + 4 + 2


async def test_error_codes_give_up_opt_out_or_wait_for_the_cap_window(aliyun: Aliyun, migrated: RunEnvironment) -> None:
    illegal, blacklisted, capped, capped_day = phone(), phone(), phone(), phone()
    await aliyun.fault("isv.MOBILE_NUMBER_ILLEGAL", to=illegal)
    await aliyun.fault("MOBILE_IN_BLACK", to=blacklisted)
    await aliyun.fault("isv.BUSINESS_LIMIT_CONTROL", to=capped, message="触发小时级流控Permits:5")
    await aliyun.fault("isv.BUSINESS_LIMIT_CONTROL", to=capped_day, message="触发天级流控Permits:10")
    events = {p: ticket_created(p) for p in (illegal, blacklisted, capped, capped_day)}
    await publish(migrated.amqp_url, *events.values())
    failed = await message_for(migrated, events[illegal].ticket_id, "failed")
    assert failed.attempts == 1 and failed.error_code == "isv.MOBILE_NUMBER_ILLEGAL"
    black = await message_for(migrated, events[blacklisted].ticket_id, "failed")
    assert black.error_code == "MOBILE_IN_BLACK"
    day = await message_for(migrated, events[capped_day].ticket_id, "failed")
    assert "cap is reached for today" in (day.error_message or "")

    async def waiting() -> SmsMessage | None:
        m = await message_for(migrated, events[capped].ticket_id, "queued", "sending", "sent", "failed")
        return m if m.status == "queued" and m.error_code == "isv.BUSINESS_LIMIT_CONTROL" else None

    held = await eventually(waiting, timeout=20)
    # Waits the hour's window (not a blind retry in seconds), and that wait does not use up an attempt.
    assert held.next_attempt_at >= datetime.now(UTC) + timedelta(minutes=55) and held.attempts == 0
    engine = create_engine(aliyun.settings)
    async with session_factory(engine)() as session:
        opted = set((await session.execute(select(SmsOptOut.phone).where(SmsOptOut.source == "provider"))).scalars())
    await engine.dispose()
    assert blacklisted in opted and illegal not in opted


async def test_replies_pushed_as_sms_up_act_like_twilio_replies_and_pushes_need_a_configured_network(
    aliyun: Aliyun, migrated: RunEnvironment
) -> None:
    who = phone()
    await aliyun.reply(who, "ＴＤ")  # full-width, as phones send it
    engine = create_engine(aliyun.settings)
    sessions = session_factory(engine)

    async def opted() -> bool:
        async with sessions() as session:
            row = await session.get(SmsOptOut, who)
        return row is not None and row.source == "reply"

    await eventually(opted, timeout=10)
    await engine.dispose()
    push = [{"phone_number": who[3:], "content": "1", "sequence_id": 1, "send_time": "2026-12-07 10:00:00"}]
    async with LifespanManager(create_app(aliyun.settings)) as manager:
        outsider = httpx.ASGITransport(app=manager.app, client=("203.0.113.9", 4000))
        async with httpx.AsyncClient(transport=outsider, base_url=aliyun.api) as client:
            resp = await client.post("/api/sms/webhooks/aliyun/up", json=push)
    assert resp.status_code == 403 and resp.headers["content-type"] == "application/problem+json"
    async with httpx.AsyncClient(base_url=aliyun.api) as client:  # from the configured network, malformed
        for body in (b"not json", b"{}", b'[{"phone_number": "13900000000"}]'):
            bad = await client.post("/api/sms/webhooks/aliyun/report", content=body)
            assert bad.status_code == 422 and bad.json()["field"].startswith("body"), bad.text


async def test_business_sms_are_templates_only_and_go_in_batches_of_at_most_100(
    aliyun: Aliyun, migrated: RunEnvironment
) -> None:
    client_key = {
        "Authorization": "Bearer "
        + migrated.token("system", scopes=["sms:send"], subject=uuid.uuid4(), name="api-key:residence-permit")
    }
    async with httpx.AsyncClient(base_url=aliyun.api) as client:
        free = await client.post("/api/sms/messages", headers=client_key, json={"to": phone(), "body": "自由文本"})
        assert free.status_code == 422 and free.json()["field"] == "body"
        series = uuid.uuid4().int % 10**4
        numbers = [f"+86135{series:04d}{i:04d}" for i in range(250)]
        values = {"stage": "已制证", "date": "12月20日", "place": "朝阳分局"}
        missing = await client.post(
            "/api/sms/messages/batch",
            headers=client_key,
            json={
                "template": "aliyun_notice",
                "messages": [{"to": numbers[0], "variables": values}, {"to": numbers[1], "variables": {"stage": "x"}}],
            },
        )
        assert missing.status_code == 422 and missing.json()["field"] == "messages[1].variables"
        too_long = await client.post(
            "/api/sms/messages",
            headers=client_key,
            json={"to": numbers[0], "template": "aliyun_notice", "variables": {**values, "place": "长" * 36}},
        )
        assert too_long.status_code == 422 and too_long.json()["field"] == "messages[0].variables.place"
        calls_before = (await aliyun.get())["calls"]
        accepted = await client.post(
            "/api/sms/messages/batch",
            headers=client_key,
            json={
                "template": "aliyun_notice",
                "urgent": True,
                "messages": [{"to": n, "variables": values} for n in numbers],
            },
        )
        assert accepted.status_code == 202, accepted.text

    async def arrived() -> list[dict] | None:
        got = [m for m in (await aliyun.get())["messages"] if m["to"] in set(numbers)]
        return got if len(got) >= len(numbers) else None

    got = await eventually(arrived, timeout=30)
    assert len(got) == 250 and all(m["template_code"] == BUSINESS_CODE and m["params"] == values for m in got)
    calls_after = (await aliyun.get())["calls"]
    calls = calls_after.get("SendBatchSms", 0) - calls_before.get("SendBatchSms", 0)
    # Recorded within their lease: nothing needed reconciling.
    assert calls_after.get("QuerySendDetails", 0) == calls_before.get("QuerySendDetails", 0)
    per_call: dict[str, int] = {}
    for m in got:
        per_call[m["biz_id"]] = per_call.get(m["biz_id"], 0) + 1
    assert calls == len(per_call) and max(per_call.values()) <= 100 and len(per_call) >= 3


async def test_rule_templates_mapping_is_checked_when_saved(aliyun: Aliyun, migrated: RunEnvironment) -> None:
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}
    body = "工单{number}已处理完毕。回复1确认解决，回复2表示仍未解决。"
    async with httpx.AsyncClient(base_url=aliyun.api) as client:

        async def put(code: str, **extra: object) -> httpx.Response:
            payload = {"body": body, "trigger": "ticket_resolved", **extra}
            return await client.put(f"/api/sms/templates/{code}", headers=admin, json=payload)

        unknown = await put("resolved_v2", provider_code="SMS_480001003", provider_params={"no": "engineer_name"})
        assert unknown.status_code == 422 and unknown.json()["field"] == "provider_params.no"
        unfilled = await put("resolved_v2", provider_code="SMS_480001003", provider_params={"no": ""})
        assert unfilled.status_code == 422 and unfilled.json()["field"] == "provider_params.no"
        bad_code = await put("resolved_v2", provider_code="480001003", provider_params={"no": "number"})
        assert bad_code.status_code == 422 and bad_code.json()["field"] == "provider_code"
        ok = await put("resolved_v2", provider_code="SMS_480001003", provider_params={"no": "number"})
        assert ok.status_code == 200 and ok.json()["provider_params"] == {"no": "number"}
        # While Aliyun is live a rule cannot be given a template that has no Aliyun template code.
        assert (await put("resolved_no_code")).status_code == 200
        refused = await client.patch(
            "/api/sms/rules/ticket_resolved", headers=admin, json={"template_code": "resolved_no_code"}
        )
        assert refused.status_code == 422 and refused.json()["field"] == "template_code"
        provider = (await client.get("/api/sms/provider", headers=admin)).json()
        assert provider["name"] == "aliyun" and provider["templates_only"] and not provider["sink"]


async def test_a_reply_of_1_pushed_twice_as_sms_up_confirms_the_resolved_ticket_once(
    aliyun: Aliyun, migrated: RunEnvironment
) -> None:
    """The resolved notice goes as its Aliyun template; the requester's "1" comes back as SmsUp (pushed twice, as
    Aliyun may) and is announced once, as a Twilio reply is."""
    requester = phone()
    t = ticket_created(requester)
    await publish(migrated.amqp_url, t, i.TicketResolved(**step(t), resolution_code="guided_fix"))

    async def resolved_notice() -> list[dict]:
        return [m for m in await aliyun.to(requester) if m["template_code"] == PROVIDER_CODES["ticket_resolved"]]

    [notice] = await eventually(resolved_notice, timeout=20)
    assert notice["params"] == {"number": t.number}
    async with EventTap(migrated.amqp_url, "sms.reply_received") as tap:
        async with httpx.AsyncClient() as client:
            up = {"from": requester, "content": "１", "sequence_id": uuid.uuid4().int % 10**12}
            for _ in range(2):
                assert (await client.post(f"{aliyun.sink}/_sink/reply", json=up)).status_code == 204
        await eventually(lambda: tap.of("sms.reply_received", ticket_id=t.ticket_id))
    [event] = tap.of("sms.reply_received", ticket_id=t.ticket_id)
    reply = event.parse(SmsReplyReceived)
    assert reply.intent == "confirm" and reply.from_phone == requester
    pushes = [p for p in (await aliyun.get())["pushes"] if p["kind"] == "up"]
    assert pushes and all(p["answer"] == 0 for p in pushes)


async def test_a_report_arriving_while_the_send_is_being_recorded_is_applied_not_lost(
    aliyun: Aliyun, migrated: RunEnvironment
) -> None:
    """The report races our own record of the send: the push is answered at once, and the worker applying it waits
    for that record (the receipt lock) and then finds the message, instead of leaving an orphan the send's record
    had already looked for."""
    to, now = phone(), datetime.now(UTC)
    message = SmsMessage(
        recipient=to,
        body="测试",
        status="sending",
        next_attempt_at=now + timedelta(days=1),  # the worker's sender leaves it alone
        created_at=now,
        updated_at=now,
    )
    sid = provider_sid(str(message.id), to)
    engine = create_engine(migrated.settings(NotificationsSettings))
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            session.add(message)
        report = [{"phone_number": to[3:], "success": True, "out_id": str(message.id), "biz_id": "1^0"}]
        async with sessions() as recording, recording.begin():  # the sender recording the accepted send
            await service.hold_receipts_of(recording, [sid])
            async with httpx.AsyncClient(base_url=aliyun.api) as client:
                assert (await client.post("/api/sms/webhooks/aliyun/report", json=report)).status_code == 200

                async def worker_waits_on_the_lock() -> bool:
                    async with sessions() as watcher:
                        return bool(
                            await watcher.scalar(
                                text(
                                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                    " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                                )
                            )
                        )

                await eventually(worker_waits_on_the_lock)  # it waits for the send's record
                row = await recording.get(SmsMessage, message.id)
                assert row is not None
                row.provider_sid, row.status = sid, "sent"
                await recording.commit()
        await receipts_folded(aliyun.settings, sid)
        async with sessions() as session:
            row = await session.get(SmsMessage, message.id)
            orphans = await session.scalar(
                select(func.count()).select_from(SmsOrphanCallback).where(SmsOrphanCallback.provider_sid == sid)
            )
        assert row is not None and row.status == "delivered" and orphans == 0
    finally:
        await engine.dispose()


async def test_a_part_below_its_minimum_reaches_the_project_manager_as_its_aliyun_template(
    aliyun: Aliyun, migrated: RunEnvironment
) -> None:
    """Issue 16: the low-stock rule under Aliyun: its registered template code, each variable a parameter (free
    text clipped to Aliyun's 35 characters); redelivered, still one SMS."""
    manager = phone()
    low = a.SparesStockLow(
        part_id=uuid.uuid4(),
        part_number="HD-ALI-0001",
        name="600G SAS硬盘",
        on_hand=0,
        minimum=2,
        store_id=uuid.uuid4(),
        store_name="市局备件库",
        crossed_at=datetime.now(UTC),
        recipients=[d.Recipient(user_id=uuid.uuid4(), display_name="吴刚", phone=manager, reason="project_manager")],
    )
    [envelope] = await publish(migrated.amqp_url, low)
    await publish(migrated.amqp_url, envelope)
    [sent] = await eventually(lambda: aliyun.to(manager), timeout=20)
    assert sent["template_code"] == PROVIDER_CODES["spares_stock_low"] and sent["sign_name"] == "居住证运维"
    assert sent["params"] == {"part": "600G SAS硬盘 HD-ALI-0001", "store": "市局备件库", "on_hand": "0", "minimum": "2"}
    marker = phone()
    later = ticket_created(marker)
    await publish(migrated.amqp_url, later)  # consumed after the redelivery: by then a second SMS would be there
    await eventually(lambda: aliyun.to(marker), timeout=20)
    assert len(await aliyun.to(manager)) == 1
