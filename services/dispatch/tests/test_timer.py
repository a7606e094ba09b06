"""The SLA timer in real `dispatch worker` processes: warnings and breaches fire exactly once with two
workers racing, a clock that fell due while every worker was dead fires at once with its true due time,
and escalations name who must be told. Timing checks are loose here; `make bench` measures lateness."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from opsdesk_shared.contracts.dispatch import SlaWarning
from opsdesk_shared.contracts.envelope import Envelope
from opsdesk_shared.testing.workers import EventTap, eventually

if TYPE_CHECKING:  # pytest imports the conftest; its classes serve here as annotations only
    from tests.conftest import Desk, StartWorker

ARRIVAL_S = 7200  # the default fault policy's arrival target


async def timers_running(desk: Desk, tap: EventTap) -> None:
    """Until the started workers' SLA timers fire: a canary ticket whose clocks are all long past due breaches.
    Deadlines set after this no longer race the workers' start (a loaded machine may take seconds)."""
    canary = await desk.ticket(created_at=datetime.now(UTC) - timedelta(days=1))
    await eventually(lambda: tap.of("sla.breached", ticket_id=canary.ticket_id), timeout=60)


def fired(tap: EventTap, tickets: set[str]) -> list[tuple[str, str, str]]:
    return [
        (e.type, e.data["clock_id"], e.data["metric"])
        for e in tap.received
        if e.type in ("sla.warning", "sla.breached") and e.data["ticket_id"] in tickets
    ]


async def test_two_workers_racing_fire_every_warning_and_breach_exactly_once(
    desk: Desk, worker_processes: StartWorker
) -> None:
    async with EventTap(desk.env.amqp_url, "sla.warning", "sla.breached") as tap:
        worker_processes(), worker_processes()
        await timers_running(desk, tap)
        # Arrival falls due 10 s from now; its warning instant and the response target are already past, so
        # those fire at once.
        created = datetime.now(UTC) - timedelta(seconds=ARRIVAL_S - 10)
        tickets = await asyncio.gather(*(desk.ticket(created_at=created) for _ in range(40)))
        ids = {str(t.ticket_id) for t in tickets}
        # Per ticket: response breached, arrival warned, then arrival breached when it falls due.
        await eventually(lambda: len(set(fired(tap, ids))) == 3 * len(ids), timeout=60)
        await asyncio.sleep(2)  # room for any double firing to show up
    counts = Counter(fired(tap, ids))
    assert set(counts.values()) == {1}, [k for k, n in counts.items() if n > 1][:5]
    assert Counter(metric for kind, _, metric in counts if kind == "sla.breached") == {"response": 40, "arrival": 40}
    for event in (e for e in tap.received if e.type == "sla.breached" and e.data["ticket_id"] in ids):
        # The breach names its true instant; firing is after it, and (loosely) not long after.
        assert event.data["breached_at"] == event.data["due_at"]
        lateness = datetime.fromisoformat(event.data["fired_at"]) - datetime.fromisoformat(event.data["due_at"])
        if event.data["metric"] == "arrival":
            assert timedelta(0) <= lateness < timedelta(seconds=10)


async def test_a_clock_due_while_every_worker_was_dead_fires_at_once_with_its_true_due_time(
    desk: Desk, worker_processes: StartWorker
) -> None:
    created = datetime.now(UTC) - timedelta(seconds=ARRIVAL_S - 4)
    async with EventTap(desk.env.amqp_url, "sla.breached") as tap:
        worker = worker_processes()
        ticket = await desk.ticket(created_at=created)
        due = datetime.fromisoformat((await desk.clocks(ticket.ticket_id))["arrival"]["due_at"])
        worker.kill()  # SIGKILL, well before the arrival falls due
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 2)
        arrival = [e for e in tap.of("sla.breached", ticket_id=ticket.ticket_id) if e.data["metric"] == "arrival"]
        assert arrival == []  # nobody was alive to fire it
        assert (await desk.clocks(ticket.ticket_id))["arrival"]["breached_at"] is None
        worker_processes()  # the restart
        await eventually(
            lambda: ([e for e in tap.of("sla.breached", ticket_id=ticket.ticket_id) if e.data["metric"] == "arrival"]),
            timeout=30,
        )
    event = next(e for e in tap.of("sla.breached", ticket_id=ticket.ticket_id) if e.data["metric"] == "arrival")
    assert datetime.fromisoformat(event.data["breached_at"]) == due
    assert datetime.fromisoformat(event.data["fired_at"]) >= due + timedelta(seconds=2)
    clock = (await desk.clocks(ticket.ticket_id))["arrival"]
    assert clock["state"] == "breached" and datetime.fromisoformat(clock["breached_at"]) == due


async def test_escalations_name_on_duty_dispatchers_then_everyone_responsible(
    desk: Desk, worker_processes: StartWorker
) -> None:
    on_duty = await desk.person("dispatcher", phone="+8613700000001")
    off_duty = await desk.person("dispatcher", phone="+8613700000002")
    # The vendor's project manager: an engineer the gateway gives the project_manager role later (user.updated);
    # and a former one whose role the gateway took away. Escalation follows the role as the events say.
    manager = await desk.person("engineer", phone="+8613700000003")
    former = await desk.person("project_manager", phone="+8613700000006")
    supervisor = await desk.person("supervisor", phone="+8613700000004")
    engineer = await desk.person("engineer", phone="+8613700000005")
    await desk.change_roles(manager, ["engineer", "project_manager"])
    await desk.change_roles(former, ["engineer"])
    assert (await desk.client.post("/api/dispatch/duty/clock-in", headers=on_duty.headers)).status_code == 201
    async with EventTap(desk.env.amqp_url, "sla.warning", "sla.breached") as tap:
        worker_processes()
        await timers_running(desk, tap)
        # Its arrival warning instant is past (fires at once), the breach 6 s away.
        ticket = await desk.ticket(created_at=datetime.now(UTC) - timedelta(seconds=ARRIVAL_S - 6))

        def arrival(kind: str) -> list[Envelope]:
            return [e for e in tap.of(kind, ticket_id=ticket.ticket_id) if e.data["metric"] == "arrival"]

        await eventually(lambda: arrival("sla.warning") and arrival("sla.breached"), timeout=30)
    warning = arrival("sla.warning")[0]
    warned = {str(r.user_id): r for r in warning.parse(SlaWarning).recipients}
    assert str(on_duty.user_id) in warned and warned[str(on_duty.user_id)].reason == "on_duty_dispatcher"
    assert warned[str(on_duty.user_id)].phone == "+8613700000001"  # for the notifier that parses the event
    assert all(r["phone"].startswith("v1:") for r in warning.data["recipients"])  # sealed on the wire
    assert str(off_duty.user_id) not in warned and str(engineer.user_id) not in warned
    breach = {r["user_id"]: r["reason"] for r in arrival("sla.breached")[0].data["recipients"]}
    assert breach[str(on_duty.user_id)] == "dispatcher" and breach[str(off_duty.user_id)] == "dispatcher"
    assert breach[str(manager.user_id)] == "project_manager"
    assert str(former.user_id) not in breach
    assert breach[str(supervisor.user_id)] == "supervisor"
    assert str(engineer.user_id) not in breach
    assert (await desk.client.post("/api/dispatch/duty/clock-out", headers=on_duty.headers)).status_code == 200
