"""A `notifications worker` killed between handing an SMS to the provider and recording it: the next
worker finds the message at the provider (it lists before resending) and records it; the requester
gets exactly one SMS. Real processes, a real SIGKILL."""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from opsdesk_shared.contracts.intake import TicketCreated
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import eventually, publish, purge_queues

from .conftest import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, Sink, ticket_created


def worker_process(migrated: RunEnvironment, sink: Sink, log: str, **more_env: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **migrated.env(),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": sink.url,
        "OPSDESK_PUBLIC_URL": PUBLIC_URL,
        "OPSDESK_TWILIO_TIMEOUT_S": "2",  # the lease (3 × time-out) expires 6 s after the claim
        "OPSDESK_SMS_QUIET_HOURS_START": "00:00",
        "OPSDESK_SMS_QUIET_HOURS_END": "00:00",
        **more_env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "notifications", "worker"], env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT
    )  # noqa: SIM115


async def test_a_worker_killed_after_the_provider_accepted_does_not_cause_a_second_sms(
    migrated: RunEnvironment, sink: Sink, notifications_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    to = f"+86136{uuid.uuid4().int % 10**8:08d}"
    ticket = ticket_created(to)
    # Only this worker and this message: other tests' leftovers neither reach it nor take the fault.
    await purge_queues(migrated.amqp_url, ["notifications.events"])
    await sink.fault("accept-then-timeout", count=1, to=to)  # the provider takes it and never answers
    first = worker_process(migrated, sink, str(tmp_path / "first.log"))
    try:
        await publish(migrated.amqp_url, ticket)
        await eventually(lambda: _sent_to(sink, to), timeout=30)  # the provider has it ...
    finally:
        first.send_signal(signal.SIGKILL)  # ... and the worker dies before hearing back
        first.wait(timeout=10)
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}
    stored = (
        await notifications_client.get("/api/sms/messages", params={"ticket_id": str(ticket.ticket_id)}, headers=admin)
    ).json()["items"]
    assert [m["status"] for m in stored] == ["sending"]  # recorded as in flight, outcome unknown
    second = worker_process(migrated, sink, str(tmp_path / "second.log"))
    try:

        async def recorded() -> list[dict[str, Any]] | None:
            resp = await notifications_client.get(
                "/api/sms/messages", params={"ticket_id": str(ticket.ticket_id)}, headers=admin
            )
            items = resp.json()["items"]
            return items if items and items[0]["status"] in ("sent", "delivered") else None

        [message] = await eventually(recorded, timeout=40)
    finally:
        second.terminate()
        second.wait(timeout=15)
    at_provider = await _sent_to(sink, to)
    assert len(at_provider) == 1 and message["provider_sid"] == at_provider[0]["sid"]
    await asyncio.sleep(0)


async def test_a_worker_killed_while_sending_merged_news_does_not_cause_a_second_sms(
    migrated: RunEnvironment, sink: Sink, notifications_client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The merged SMS is made in the claim's transaction: the restarted worker reconciles it like any other, and
    no ticket's news is said twice (nor merged again into another SMS)."""
    to = f"+86134{uuid.uuid4().int % 10**8:08d}"
    first, *rest = [ticket_created(to) for _ in range(5)]
    window = {"OPSDESK_SMS_MERGE_WINDOW_S": "2"}
    await purge_queues(migrated.amqp_url, ["notifications.events"])
    worker = worker_process(migrated, sink, str(tmp_path / "first.log"), **window)
    try:
        await publish(migrated.amqp_url, first)
        await eventually(lambda: _sent_to(sink, to), timeout=30)  # the number's first news goes at once, alone
        await sink.fault("accept-then-timeout", count=1, to=to)  # the next, the merged rest, is never answered
        await publish(migrated.amqp_url, *rest)

        async def merged_at_provider() -> list[dict[str, Any]]:
            return [m for m in await _sent_to(sink, to) if rest[0].number in m["body"]]

        await eventually(merged_at_provider, timeout=30)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    admin = {"Authorization": f"Bearer {migrated.token('admin')}"}

    async def statuses(ticket_id: uuid.UUID) -> list[str]:
        resp = await notifications_client.get("/api/sms/messages", params={"ticket_id": str(ticket_id)}, headers=admin)
        return [m["status"] for m in resp.json()["items"]]

    assert await statuses(rest[0].ticket_id) == ["sending"]  # in the merged SMS, whose outcome is unknown
    second = worker_process(migrated, sink, str(tmp_path / "second.log"), **window)
    try:
        for t in rest:

            async def sent(t: TicketCreated = t) -> bool:
                return (await statuses(t.ticket_id)) in (["sent"], ["delivered"])

            await eventually(sent, timeout=40)
    finally:
        second.terminate()
        second.wait(timeout=15)
    bodies = [m["body"] for m in await _sent_to(sink, to)]
    assert any(sum(t.number in body for t in rest) > 1 for body in bodies)  # the rest went merged
    for t in [first, *rest]:
        assert sum(body.count(t.number) for body in bodies) == 1, (t.number, bodies)


async def _sent_to(sink: Sink, to: str) -> list[dict]:
    return [m for m in await sink.messages() if m["to"] == to]
