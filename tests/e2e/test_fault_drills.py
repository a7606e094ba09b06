"""Fault drills on the running system (issue 8), each reporting accepted / processed / lost / doubled.

RabbitMQ stopped while tickets are filed: intake keeps accepting them (the outbox holds their events);
once the broker is back, every ticket gets its SLA clocks, its row in the report and exactly one
acceptance SMS. The drill stops the real local broker (`rabbitmqctl stop_app`), so it runs against the
servers this machine has, as the rest of the end-to-end tests do.
"""

import shutil
import subprocess
import time
import uuid

import httpx
import pytest

from tests.conftest import Stack
from tests.e2e.test_walking_skeleton import file_ticket, sink_messages, wait_for

TICKETS = 15


def rabbitmqctl(*args: str) -> None:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        pytest.fail("rabbitmqctl is needed to stop and start the broker for this drill")
    subprocess.run([tool, "-q", *args], check=True, timeout=120, capture_output=True)


def reported_total(client: httpx.Client, supervisor: dict[str, str]) -> int:
    return int(client.get("/api/reports/summary", headers=supervisor).json()["total"])


def test_tickets_filed_while_rabbitmq_is_down_lose_nothing_and_double_nothing(stack: Stack) -> None:
    client = stack.client()
    operator = stack.token("operator")
    supervisor = {"Authorization": f"Bearer {stack.token('supervisor')}"}
    unit = next(
        u["id"]
        for u in client.get("/api/admin/units", headers={"Authorization": f"Bearer {operator}"}).json()
        if u["code"] == "BJ-CY-WJ"
    )
    before = reported_total(client, supervisor)
    series = uuid.uuid4().int % 10**4
    phones = [f"137{series:04d}{i:04d}" for i in range(TICKETS)]

    rabbitmqctl("stop_app")
    try:
        tickets = [file_ticket(client, operator, unit, phone) for phone in phones]
    finally:
        rabbitmqctl("start_app")
    accepted = len(tickets)

    auth = {"Authorization": f"Bearer {operator}"}

    def all_clocked() -> bool:
        return all(client.get(f"/api/sla/tickets/{t['id']}", headers=auth).json().get("clocks") for t in tickets)

    wait_for("SLA clocks for every ticket", all_clocked, timeout=120)
    wait_for("every ticket in the report", lambda: reported_total(client, supervisor) >= before + accepted, 60)
    targets = {f"+86{p}" for p in phones}
    wait_for("an SMS for every ticket", lambda: targets <= {m["to"] for m in sink_messages(stack)}, timeout=120)
    time.sleep(3)  # anything doubled would have arrived by now
    sent = [m["to"] for m in sink_messages(stack) if m["to"] in targets]
    doubled = len(sent) - len(set(sent))
    print(
        f"\nRabbitMQ stopped during a burst of {TICKETS}: accepted {accepted}, processed {len(set(sent))}, "
        f"lost {accepted - len(set(sent))}, doubled {doubled}"
    )
    assert accepted == TICKETS and len(set(sent)) == TICKETS and doubled == 0
    assert reported_total(client, supervisor) == before + accepted
