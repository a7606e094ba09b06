"""Fault drills on the running system (issue 8), each reporting accepted / processed / lost / doubled.

- RabbitMQ stopped while tickets are filed: intake keeps accepting them (the outbox holds their events);
  once the broker is back, every ticket gets its SLA clocks, its row in the report and exactly one
  acceptance SMS. The drill stops the real local broker (`rabbitmqctl stop_app`).
- Each worker in turn killed with SIGKILL in the middle of a burst and started again: the same.
- Each API and the gateway in turn killed with SIGKILL mid-burst and started again: the callers retry with
  the same `Idempotency-Key` until they get their answer; every ticket exists once and has its
  consequences once.
- A second replica of everything (gateway, every API and worker) beside the first, tickets filed through
  both gateways: no SMS, clock or report row doubled.
- PostgreSQL restarted under load: 503 with Retry-After meanwhile, never a 500 or half a ticket; every
  service reconnects by itself; every accepted ticket gets its consequences once.
"""

import os
import shutil
import signal
import subprocess
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from devstack.launch import start, stop, wait_ready
from devstack.stack import processes, stack_env
from tests.conftest import ROOT, STACK_ADMIN, Stack, free_port
from tests.e2e.conftest import OpenDesk
from tests.e2e.test_walking_skeleton import file_ticket, wait_for

TICKETS = 15
pytestmark = pytest.mark.drill


def rabbitmqctl(*args: str) -> None:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        pytest.fail("rabbitmqctl is needed to stop and start the broker for this drill")
    subprocess.run([tool, "-q", *args], check=True, timeout=120, capture_output=True)


def reported_total(client: httpx.Client, supervisor: dict[str, str]) -> int:
    """The report's ticket count; -1 while reporting cannot answer (a drill may have just restarted it)."""
    resp = client.get("/api/reports/summary", headers=supervisor)
    return int(resp.json()["total"]) if resp.status_code == 200 else -1


class Burst:
    """Tickets filed under numbers of their own, and the check that each had every consequence once."""

    def __init__(self, stack: Stack, size: int) -> None:
        self.stack, self.size = stack, size
        self.client = stack.client()
        self.operator = stack.token("operator")
        self.supervisor = {"Authorization": f"Bearer {stack.token('supervisor')}"}
        self.unit = next(
            u["id"]
            for u in self.client.get("/api/admin/units", headers={"Authorization": f"Bearer {self.operator}"}).json()
            if u["code"] == "BJ-CY-WJ"
        )
        self.before = reported_total(self.client, self.supervisor)
        series = uuid.uuid4().int % 10**4
        self.phones = [f"137{series:04d}{i:04d}" for i in range(size)]
        self.tickets: list[dict] = []
        self.accepted_phones: list[str] = []

    def file(self, i: int) -> None:
        self.tickets.append(file_ticket(self.client, self.operator, self.unit, self.phones[i]))
        self.accepted_phones.append(self.phones[i])

    def try_file(self, i: int) -> httpx.Response:
        """One attempt that may meet an outage: only a 201 counts as accepted."""
        resp = self.client.post("/api/tickets", headers={"Authorization": f"Bearer {self.operator}"}, json=self.body(i))
        if resp.status_code == 201:
            self.tickets.append(resp.json())
            self.accepted_phones.append(self.phones[i])
        return resp

    def file_until_accepted(self, i: int, gateways: list[str] | None = None, timeout: float = 90) -> int:
        """What a careful client does through an outage: the same request with the same Idempotency-Key
        until it has an answer (the first attempt may have been committed without one). Returns tries."""
        key = f"drill-{self.phones[i]}"
        urls = gateways or [self.stack.url]
        deadline, tries = time.monotonic() + timeout, 0
        while time.monotonic() < deadline:
            tries += 1
            try:
                resp = httpx.post(
                    urls[i % len(urls)] + "/api/tickets",
                    timeout=10,
                    headers={"Authorization": f"Bearer {self.operator}", "Idempotency-Key": key},
                    json=self.body(i),
                )
            except httpx.TransportError:
                time.sleep(0.3)
                continue
            if resp.status_code in (200, 201):
                self.tickets.append(resp.json())
                self.accepted_phones.append(self.phones[i])
                return tries
            assert resp.status_code in (502, 503, 504), resp.text  # an outage, never a wrong answer
            time.sleep(0.3)
        raise AssertionError(f"ticket {i} never accepted")

    def body(self, i: int) -> dict[str, str]:
        return {
            "title": "故障演练",
            "description": "drill",
            "category": "fault",
            "priority": "P3",
            "unit_id": self.unit,
            "requester_name": "演练",
            "requester_phone": self.phones[i],
            "channel": "hotline",
        }

    def check(self, drill: str, sink_url: str | None = None) -> None:
        """`sink_url`: the SMS provider's stand-in that carried the SMS (Twilio's unless given)."""
        client, tickets, auth = self.client, self.tickets, {"Authorization": f"Bearer {self.operator}"}
        sink = sink_url or self.stack.sink_url

        def sent_to() -> list[str]:
            return [m["to"] for m in httpx.get(f"{sink}/_sink/messages", timeout=5).json()["messages"]]

        accepted = len(tickets)

        def all_clocked() -> bool:
            return all(client.get(f"/api/sla/tickets/{t['id']}", headers=auth).json().get("clocks") for t in tickets)

        wait_for("SLA clocks for every ticket", all_clocked, timeout=120)
        wait_for(
            "every ticket in the report", lambda: reported_total(client, self.supervisor) >= self.before + accepted, 60
        )
        targets = {f"+86{p}" for p in self.accepted_phones}
        wait_for("an SMS for every ticket", lambda: targets <= set(sent_to()), timeout=120)
        time.sleep(3)  # anything doubled would have arrived by now
        sent = [to for to in sent_to() if to in targets]
        doubled = len(sent) - len(set(sent))
        print(
            f"\n{drill}: accepted {accepted}, processed {len(set(sent))}, lost {accepted - len(set(sent))}, "
            f"doubled {doubled}"
        )
        assert len(set(sent)) == accepted and doubled == 0

        def answered_total() -> list[int] | None:
            total = reported_total(client, self.supervisor)
            return [total] if total >= 0 else None

        [total] = wait_for("the report to answer", answered_total)
        assert total == self.before + accepted


def test_tickets_filed_while_rabbitmq_is_down_lose_nothing_and_double_nothing(stack: Stack) -> None:
    burst = Burst(stack, TICKETS)
    rabbitmqctl("stop_app")
    try:
        for i in range(TICKETS):
            burst.file(i)
    finally:
        rabbitmqctl("start_app")
    assert len(burst.tickets) == TICKETS
    burst.check(f"RabbitMQ stopped during a burst of {TICKETS}")


def kill_and_restart(stack: Stack, name: str, started: list[subprocess.Popen[bytes]]) -> None:
    pid_file = stack.log_dir / f"{name}.pid"
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    time.sleep(0.5)
    process = next(p for p in processes(stack.env) if p.name == name)
    proc = start(process, stack.env, stack.log_dir / f"{name}.log", cwd=ROOT, append=True)
    pid_file.write_text(str(proc.pid))
    started.append(proc)


@pytest.mark.parametrize("worker", ["intake-worker", "dispatch-worker", "notifications-worker", "reporting-worker"])
def test_a_worker_killed_mid_burst_loses_and_doubles_nothing(
    stack: Stack, replacements: list[subprocess.Popen[bytes]], worker: str
) -> None:
    burst = Burst(stack, 10)
    for i in range(10):
        burst.file(i)
        if i == 4:
            kill_and_restart(stack, worker, replacements)
    assert len(burst.tickets) == 10
    burst.check(f"{worker} killed with SIGKILL in a burst of 10")


def test_postgresql_restarted_under_load_answers_503_and_loses_nothing(stack: Stack) -> None:
    """Requests during the restart get 503 with Retry-After (never a 500, never half a ticket); every
    service reconnects by itself; every accepted ticket gets all its consequences once."""
    cluster = sorted(os.listdir("/etc/postgresql"))[0] if os.path.isdir("/etc/postgresql") else None
    if cluster is None or shutil.which("pg_ctlcluster") is None:
        pytest.fail("this drill restarts the local PostgreSQL with pg_ctlcluster, which is not here")
    burst = Burst(stack, 41)  # 40 during the restart, one after it
    statuses: dict[int, int] = {}
    restart = None
    for i in range(40):
        if i == 5:
            restart = subprocess.Popen(
                ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        try:
            resp = burst.try_file(i)
        except httpx.TransportError:
            statuses[0] = statuses.get(0, 0) + 1
            continue
        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
        if resp.status_code == 503:
            assert resp.headers.get("Retry-After") and resp.headers["content-type"] == "application/problem+json"
        time.sleep(0.1)
    assert restart is not None and restart.wait(timeout=120) == 0
    print(f"\nanswers while PostgreSQL restarted: {statuses}")
    assert set(statuses) <= {201, 503}, statuses
    # Reconnected: a ticket filed after the restart goes through.
    wait_for("intake to accept tickets again", lambda: burst.try_file(40).status_code == 201, timeout=60)
    burst.check(f"PostgreSQL restarted during a burst of 40 attempts ({statuses.get(503, 0)} answered 503)")


@pytest.mark.parametrize("process", ["gateway", "intake-api", "dispatch-api", "notifications-api", "reporting-api"])
def test_an_api_or_the_gateway_killed_mid_burst_loses_and_doubles_nothing(
    stack: Stack, replacements: list[subprocess.Popen[bytes]], process: str
) -> None:
    burst = Burst(stack, 10)
    tries = 0
    for i in range(10):
        tries += burst.file_until_accepted(i)
        if i == 4:
            kill_and_restart(stack, process, replacements)
    assert len({t["id"] for t in burst.tickets}) == 10  # one ticket per Idempotency-Key, however many tries
    burst.check(f"{process} killed with SIGKILL in a burst of 10 ({tries} requests for 10 tickets)")


def test_two_replicas_of_everything_double_nothing(stack: Stack, replacements: list[subprocess.Popen[bytes]]) -> None:
    """A second gateway, API and worker of every service, on ports of their own, beside the first set;
    tickets are filed through both gateways in turn. Every SLA timer, relay and consumer now has a twin."""
    env = dict(stack.env)
    env["OPSDESK_GATEWAY_PORT"] = str(free_port())
    for service in ("intake", "dispatch", "notifications", "reporting", "assets"):
        port = free_port()
        env[f"OPSDESK_{service.upper()}_PORT"] = str(port)
        env[f"OPSDESK_{service.upper()}_URL"] = f"http://127.0.0.1:{port}"
    second_gateway = f"http://127.0.0.1:{env['OPSDESK_GATEWAY_PORT']}"
    second = [
        start(process, env, stack.log_dir / f"{process.name}-2.log", cwd=ROOT)
        for process in processes(env)
        if process.name != "twilio-sink"  # one Twilio stand-in for both: it is the outside world
    ]
    try:
        wait_ready(second_gateway, second, stack.log_dir, timeout_s=60)
        burst = Burst(stack, 20)
        for i in range(20):
            burst.file_until_accepted(i, gateways=[stack.url, second_gateway])
        burst.check("two replicas of every process, 20 tickets through both gateways")
        auth = {"Authorization": f"Bearer {burst.operator}"}
        for ticket in burst.tickets:
            clocks = burst.client.get(f"/api/sla/tickets/{ticket['id']}", headers=auth).json()["clocks"]
            metrics = [c["metric"] for c in clocks]
            assert len(metrics) == len(set(metrics)), (ticket["number"], metrics)  # one clock per metric
    finally:
        # The twins go with the drill: a second notifications worker left running would go on sending through
        # the provider it started with when a later drill switches the first one to another (Aliyun).
        stop(second)


def test_the_sms_provider_failing_then_recovering_sends_every_sms_exactly_once(stack: Stack) -> None:
    """Twilio (the stand-in, speaking Twilio's errors) answers 503, then 429 with Retry-After, then hangs
    past the client's time-out, then takes messages but never answers, all while a burst is filed; then
    it recovers. Every acceptance SMS arrives once: retried after the refusals, and after the silent
    acceptance found again in the provider's message list instead of sent a second time."""
    faults = [("503", 4), ("429", 4), ("timeout", 2), ("accept-then-timeout", 2)]
    with httpx.Client(base_url=stack.sink_url, timeout=10) as sink:
        for mode, count in faults:
            assert sink.post("/_sink/faults", json={"mode": mode, "count": count}).status_code == 204
        burst = Burst(stack, 10)
        requests_before = sink.get("/_sink/messages", params={"count_only": True}).json()["requests"]
        for i in range(10):
            burst.file(i)
        burst.check("Twilio failing (4×503, 4×429, 2 time-outs, 2 accepted without an answer), then recovering")
        requests = sink.get("/_sink/messages", params={"count_only": True}).json()["requests"] - requests_before
    print(f"provider requests for 10 SMS: {requests}")
    # Every fault was met and retried past: 10 refused or hung requests, and 10 that took a message.
    assert requests >= 10 + 4 + 4 + 2


def switch_sms_provider(stack: Stack, env: dict[str, str], started: list[subprocess.Popen[bytes]]) -> None:
    """Notifications' API and worker killed and started again with `env` (another SMS provider), on their ports."""
    for name in ("notifications-api", "notifications-worker"):
        pid_file = stack.log_dir / f"{name}.pid"
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        time.sleep(0.5)
        process = next(p for p in processes(env) if p.name == name)
        proc = start(process, env, stack.log_dir / f"{name}.log", cwd=ROOT, append=True)
        pid_file.write_text(str(proc.pid))
        started.append(proc)


def test_the_aliyun_provider_failing_then_recovering_sends_every_sms_exactly_once(
    stack: Stack, replacements: list[subprocess.Popen[bytes]], desks: OpenDesk
) -> None:
    """The provider drill again with OPSDESK_SMS_PROVIDER=aliyun: notifications restarted on Alibaba Cloud SMS and
    its Dysmsapi stand-in (which verifies each call's ACS3-HMAC-SHA256 signature and pushes reports back through
    the gateway). It answers 503, then Throttling.User, then hangs past the client's time-out, then takes messages
    but never answers, during a burst; then recovers. Every acceptance SMS arrives once."""
    env = stack_env(
        {
            **stack.env,
            "OPSDESK_SMS_PROVIDER": "aliyun",
            "OPSDESK_ALIYUN_TIMEOUT_S": "3",
            "OPSDESK_ALIYUN_PUSH_NETWORKS": "127.0.0.1/32",  # the stand-in's pushes (through the gateway)
        },
        root=ROOT,
        ports={"aliyun_sink": free_port()},
    )
    sink_url = env["ALIYUN_SMS_ENDPOINT"]
    aliyun_sink = next(p for p in processes(env) if p.name == "aliyun-sink")
    replacements.append(start(aliyun_sink, env, stack.log_dir / "aliyun-sink.log", cwd=ROOT))
    switch_sms_provider(stack, env, replacements)
    admin = {"Authorization": f"Bearer {stack.token(STACK_ADMIN)}"}
    try:

        def provider() -> dict[str, object] | None:
            try:
                resp = httpx.get(f"{stack.url}/api/sms/provider", headers=admin, timeout=5)
                sink = httpx.get(f"{sink_url}/_sink/messages", params={"count_only": True}, timeout=5)
            except httpx.TransportError:
                return None
            live = resp.json() if resp.status_code == 200 and sink.status_code == 200 else {}
            return live if live.get("name") == "aliyun" else None

        live = wait_for("notifications on Alibaba Cloud SMS", provider, timeout=60)
        assert live["templates_only"] and live["sink"]
        admin_desk = desks(STACK_ADMIN)  # the console says which provider is live, and asks for Aliyun template codes
        admin_desk.login()
        admin_desk.goto("/ui/admin?section=sms")
        expect(admin_desk.page.locator("#sms-provider")).to_have_attribute("data-provider", "aliyun")
        expect(admin_desk.page.locator("form.template [name=provider_code]").first).to_be_visible()
        admin_desk.shot("sms-provider-aliyun")
        faults = [("503", 4), ("throttling", 4), ("timeout", 2), ("accept-then-timeout", 2)]
        with httpx.Client(base_url=sink_url, timeout=10) as sink:
            for mode, count in faults:
                assert sink.post("/_sink/faults", json={"mode": mode, "count": count}).status_code == 204
            burst = Burst(stack, 10)
            for i in range(10):
                burst.file(i)
            burst.check(
                "Aliyun failing (4×503, 4×Throttling.User, 2 time-outs, 2 accepted without an answer), then recovering",
                sink_url=sink_url,
            )
            state = sink.get("/_sink/messages").json()
        refused = state["refused_signatures"]
        print(f"Dysmsapi requests: {state['requests']} ({state['calls']}), refused signatures {refused}")
        assert state["refused_signatures"] == 0 and state["requests"] >= 10 + 4 + 4 + 2
        reports = [p for p in state["pushes"] if p["kind"] == "report"]
        assert reports and all(p["answer"] == 0 for p in reports)  # every report accepted through the gateway
    finally:
        switch_sms_provider(stack, stack.env, replacements)  # Twilio again for whatever runs next
