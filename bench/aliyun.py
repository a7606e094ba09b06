"""Business SMS through Alibaba Cloud SMS, beside Twilio's figure: notifications' API and worker are started again
with OPSDESK_SMS_PROVIDER=aliyun against the Dysmsapi stand-in (tools/aliyun_sink, which verifies every call's
signature and pushes delivery reports back through the gateway), and the same batches of 1,000 are sent from a
business template registered with an Aliyun template code. The sender hands them over in SendBatchSms calls of
at most 100 numbers."""

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx

from devstack.launch import start, stop
from devstack.stack import processes, stack_env

TEMPLATE = "bench_permit_ready"
VALUES = {"stage": "已制好", "place": "受理点"}


@contextmanager
def aliyun_notifications(
    env: dict[str, str], work: Path, root: Path, sink_port: int, started: list[Popen[bytes]]
) -> Iterator[str]:
    """Notifications on Alibaba Cloud SMS for the duration; Twilio's processes again afterwards (the processes
    started here are added to `started`, for the caller to stop with the rest). Yields the stand-in's URL."""
    aliyun_env = stack_env({**env, "OPSDESK_SMS_PROVIDER": "aliyun"}, root=root, ports={"aliyun_sink": sink_port})

    def restart(with_env: dict[str, str], names: tuple[str, ...]) -> None:
        for name in names:
            pid_file = work / f"{name}.pid"
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text()), signal.SIGTERM)
                except ProcessLookupError:
                    pass
                time.sleep(1)
            process = next(p for p in processes(with_env) if p.name == name)
            proc = start(process, with_env, work / f"{name}.log", cwd=root, append=True)
            pid_file.write_text(str(proc.pid))
            started.append(proc)

    notifications = ("notifications-api", "notifications-worker")
    try:
        restart(aliyun_env, ("aliyun-sink", *notifications))
        sink = aliyun_env["ALIYUN_SMS_ENDPOINT"]
        deadline = time.monotonic() + 60
        while True:  # the stand-in and the restarted API answer
            try:
                if httpx.get(f"{sink}/_sink/messages?count_only=true", timeout=2).status_code == 200 and (
                    httpx.get(f"{env['OPSDESK_NOTIFICATIONS_URL']}/readyz", timeout=2).status_code == 200
                ):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("notifications did not come back on Alibaba Cloud SMS")
            time.sleep(0.3)
        yield sink
    finally:
        restart(env, notifications)
        sink_process = [p for p in started if p.args[2] == "aliyun_sink"]  # type: ignore[index]
        stop(sink_process)
        (work / "aliyun-sink.pid").unlink(missing_ok=True)


def register_template(url: str, admin_password: str) -> None:
    client = httpx.Client(base_url=url, timeout=30)
    token = client.post("/api/auth/login", json={"username": "admin", "password": admin_password}).json()
    resp = client.put(
        f"/api/sms/templates/{TEMPLATE}",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        json={
            "body": "您的居住证{stage}，请携带身份证到{place}领取。",
            "provider_code": "SMS_480009901",
            "provider_params": {"stage": "stage", "place": "place"},
        },
    )
    assert resp.status_code == 200, resp.text


def business_sms_throughput(url: str, sink_url: str, secadmin_password: str, n: int, series: int) -> dict[str, Any]:
    """As bench.__main__.business_sms_throughput, with a template and its variables (a free body is refused while
    Aliyun is live), until every message is at the stand-in; then until every delivery report is accepted."""
    client = httpx.Client(base_url=url, timeout=60)
    token = client.post("/api/auth/login", json={"username": "secadmin", "password": secadmin_password}).json()
    key = client.post(
        "/api/admin/api-keys",
        json={"name": f"bench-aliyun-{series}", "scopes": ["sms:send"]},
        headers={"Authorization": f"Bearer {token['access_token']}"},
    ).json()["key"]
    before = httpx.get(f"{sink_url}/_sink/messages?count_only=true", timeout=30).json()
    started = time.perf_counter()
    accepted_at = started
    for batch in range(0, n, 1000):
        resp = client.post(
            "/api/sms/messages/batch",
            headers={"X-API-Key": key},
            json={
                "template": TEMPLATE,
                "urgent": True,
                "messages": [
                    {"to": f"+86136{series}{(batch + k):07d}", "variables": VALUES} for k in range(min(1000, n - batch))
                ],
            },
        )
        assert resp.status_code == 202, resp.text
        accepted_at = time.perf_counter()
    while True:
        handed = httpx.get(f"{sink_url}/_sink/messages?count_only=true", timeout=30).json()["count"] - before["count"]
        if handed >= n:
            break
        if time.perf_counter() - started > 300:
            raise RuntimeError(f"only {handed} of {n} business SMS reached Aliyun's stand-in in 300 s")
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    while True:  # settle: every report pushed back and accepted, anything doubled arrived
        sink = httpx.get(f"{sink_url}/_sink/messages", timeout=60).json()
        reported = sum(p["count"] for p in sink["pushes"] if p["kind"] == "report" and p["answer"] == 0)
        if reported >= before["count"] + n or time.perf_counter() - started > 300:
            break
        time.sleep(1)
    time.sleep(3)
    sink = httpx.get(f"{sink_url}/_sink/messages", timeout=60).json()
    numbers = Counter(m["to"] for m in sink["messages"] if m["to"].startswith(f"+86136{series}"))
    calls = sink["calls"]
    return {
        "messages": n,
        "accepted_s": accepted_at - started,
        "all_at_provider_s": elapsed,
        "per_s": n / elapsed,
        "numbers_reached": len(numbers),
        "doubled": sum(c - 1 for c in numbers.values()),
        "send_batch_calls": calls.get("SendBatchSms", 0) - before["calls"].get("SendBatchSms", 0),
        "refused_signatures": sink["refused_signatures"],
    }
