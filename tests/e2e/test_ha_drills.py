"""High-availability drills (issue 23): lose a broker node or the database primary mid-burst, lose nothing.

- A three-node RabbitMQ cluster of the drill's own (its own ports, directories and Erlang node names;
  the machine's broker is left alone), OpsDesk's quorum queues on it and every OpsDesk process connected
  with the list of the three nodes. While a burst of tickets is filed, the node leading the queues is
  stopped, and later started again: every accepted ticket gets its SLA clocks, its report row and exactly
  one acceptance SMS. Reconnections and publishes sent again for want of a confirm are counted.
- A PostgreSQL primary with a synchronous standby of the drill's own (initdb in a temporary directory,
  pg_basebackup, own ports), OpsDesk on a multi-host URL with `target_session_attrs=read-write`. In the
  middle of a burst the standby is promoted and the old primary stopped: writes answer 503 with
  Retry-After for a few seconds, then go to the new primary; nothing acknowledged is lost, nothing is
  doubled, the SLA timers carry on there.

Each drill prints accepted / processed / lost / doubled and what it measured, and removes its servers.
"""

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
import pytest

from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.servers import VhostAdmin
from tests.e2e.ha import log_events, opsdesk_on, postgres_pair, rabbitmq_cluster
from tests.e2e.test_fault_drills import Burst
from tests.e2e.test_walking_skeleton import sink_messages, wait_for

pytestmark = [pytest.mark.drill, pytest.mark.timeout(420)]
TICKETS = 20
# The old primary is stopped once this many commits wait on it (the four clients' among them, most likely).
HOLD = 4
HELD_COMMITS = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"


T = TypeVar("T")


def wait_until_or_none(probe: Callable[[], T | None], timeout: float, interval: float) -> list[T] | None:
    """`probe()`'s first true answer, or None when there was none within `timeout` (not a failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := probe():
            return [result]
        time.sleep(interval)
    return None


def test_losing_the_rabbitmq_node_that_leads_the_queues_loses_and_doubles_nothing(opsdesk: RunEnvironment) -> None:
    started = time.monotonic()
    with (
        rabbitmq_cluster(3) as cluster,
        opsdesk_on(opsdesk, database_url=opsdesk.servers.database_url, amqp_url=cluster.amqp_url) as stack,
    ):
        leaders = cluster.leaders(via=cluster.nodes[1])
        opsdesk_queues = {q: n for q, n in leaders.items() if not q.endswith(".dlq")}
        assert opsdesk_queues, leaders  # the set-up declared OpsDesk's quorum queues on the cluster
        leader_name = max(set(opsdesk_queues.values()), key=list(opsdesk_queues.values()).count)
        leader = next(n for n in cluster.nodes if n.name == leader_name)
        led = sum(1 for n in opsdesk_queues.values() if n == leader_name)
        burst = Burst(stack, TICKETS)
        stopped_at = restarted_at = 0.0
        during = 0
        for i in range(TICKETS):
            burst.file(i)
            if i == 4:
                leader.ctl("stop_app")  # the RabbitMQ application on that node stops; its queues' leaders move
                stopped_at = time.monotonic()
            if i == 14:
                # The two other nodes carry on alone: what was filed so far is processed before the node
                # comes back (its SMS sent), not merely queued until it does.
                targets = {f"+86{p}" for p in burst.accepted_phones}

                def all_sent(targets: set[str] = targets) -> bool:
                    return targets <= {m["to"] for m in sink_messages(stack)}

                wait_for("the tickets filed so far to be processed on the two remaining nodes", all_sent, timeout=90)
                during = len(targets)
                leader.ctl("start_app")
                restarted_at = time.monotonic()
        assert len(burst.tickets) == TICKETS
        moved = cluster.leaders(via=next(n for n in cluster.nodes if n is not leader))
        burst.check(
            f"RabbitMQ cluster: {leader_name} (leading {led} of {len(opsdesk_queues)} queues) stopped "
            f"for {restarted_at - stopped_at:.1f} s in a burst of {TICKETS} ({during} processed while it was down)"
        )
        reconnects = log_events(stack, "amqp_reconnected")
        unconfirmed = sum(int(r.get("rows", 0)) for r in log_events(stack, "outbox_unconfirmed"))
        print(
            f"reconnects {len(reconnects)} (connections moved to another node), publishes sent again for want "
            f"of a confirm {unconfirmed}, queues led by {leader_name} after the restart "
            f"{sum(1 for n in moved.values() if n == leader_name)}, drill {time.monotonic() - started:.0f} s"
        )
        # Every process's connection to the stopped node went elsewhere and came back into service.
        assert reconnects, "no connection noticed the node stopping"


def test_promoting_the_synchronous_standby_mid_burst_loses_and_doubles_nothing(opsdesk: RunEnvironment) -> None:
    started = time.monotonic()
    vhost = f"opsdesk_ha{uuid.uuid4().hex[:6]}"
    admin = VhostAdmin(opsdesk.servers)
    admin.create(vhost)
    try:
        with (
            postgres_pair() as pair,
            opsdesk_on(opsdesk, database_url=pair.database_url, amqp_url=opsdesk.servers.amqp_url_for(vhost)) as stack,
        ):
            burst = Burst(stack, TICKETS)
            answers: list[tuple[float, float, int]] = []  # (sent, answered, status) per attempt; 0: no answer
            lock = threading.Lock()
            failover_done = threading.Event()
            times: dict[str, float] = {}
            held: list[int] = []
            key = uuid.uuid4().hex[:8]

            def fail_over() -> None:
                times["promote"] = time.monotonic()
                pair.standby.ctl("promote", "-w")
                times["promoted"] = time.monotonic()
                # Cut off from its synchronous standby, the old primary can acknowledge no commit: the writes
                # that reach it wait (wait event SyncRep) until it is stopped, then fail and are sent again.
                held.extend(
                    wait_until_or_none(
                        lambda: n if (n := int(pair.primary.sql(HELD_COMMITS) or 0)) >= HOLD else None,
                        timeout=5,
                        interval=0.1,
                    )
                    or [int(pair.primary.sql(HELD_COMMITS) or 0)]
                )
                pair.primary.ctl("stop", "-m", "fast", "-w")
                times["stopped"] = time.monotonic()
                failover_done.set()

            def file(i: int) -> None:
                """A careful client: the same request with the same Idempotency-Key until it is answered."""
                deadline = time.monotonic() + 60
                while True:
                    sent = time.monotonic()
                    try:
                        resp = httpx.post(
                            stack.url + "/api/tickets",
                            timeout=15,
                            headers={"Authorization": f"Bearer {burst.operator}", "Idempotency-Key": f"ha-{key}-{i}"},
                            json=burst.body(i),
                        )
                    except httpx.TransportError:
                        with lock:
                            answers.append((sent, time.monotonic(), 0))
                    else:
                        with lock:
                            answers.append((sent, time.monotonic(), resp.status_code))
                            if resp.status_code in (200, 201):
                                burst.tickets.append(resp.json())
                                burst.accepted_phones.append(burst.phones[i])
                                return
                        assert resp.status_code == 503, resp.text  # an outage, never a wrong answer
                        assert resp.headers.get("Retry-After"), resp.headers
                        assert resp.headers["content-type"] == "application/problem+json"
                    assert time.monotonic() < deadline, f"ticket {i} not accepted within 60 s"
                    time.sleep(0.2)

            # Four clients at once, so that requests are in flight when the primary goes.
            with ThreadPoolExecutor(4) as clients:
                first = [clients.submit(file, i) for i in range(4)]
                for f in first:
                    f.result()
                threading.Thread(target=fail_over, name="failover").start()
                for f in [clients.submit(file, i) for i in range(4, TICKETS)]:
                    f.result()
            assert failover_done.wait(60)
            assert len({t["id"] for t in burst.tickets}) == TICKETS  # one ticket per key, however many tries
            refused = [(sent, status) for sent, _, status in answers if status not in (200, 201)]
            statuses = [status for _, status in refused]
            # The gap: from the old primary's stop until the first write accepted that was sent after it (every
            # such write can only have gone to the new primary).
            after = [done for sent, done, status in answers if status in (200, 201) and sent >= times["stopped"]]
            gap = (min(after) - times["stopped"]) if after else float("nan")
            burst.check(
                f"PostgreSQL failover (standby promoted, primary stopped) in a burst of {TICKETS}, 4 clients: "
                f"{len(statuses)} attempts refused ({statuses.count(503)} × 503 with Retry-After, "
                f"{statuses.count(0)} unanswered)"
            )
            new_primary = pair.standby.sql("SELECT pg_is_in_recovery()")
            print(
                f"old primary cut off from its synchronous standby for {times['stopped'] - times['promoted']:.1f} s "
                f"(promoted in {times['promoted'] - times['promote']:.1f} s): {held[0]} commits waiting on it, none "
                f"acknowledged; failover gap {gap:.1f} s (old primary stopped -> first write accepted by the new); "
                f"new primary in recovery: {new_primary}; drill {time.monotonic() - started:.0f} s"
            )
            assert new_primary == "f"
            assert set(statuses) <= {503, 0}, statuses
            assert gap < 10, f"writes came back {gap:.1f} s after the old primary stopped"
    finally:
        admin.delete(vhost)
