"""The whole system as real processes, for end-to-end tests: the same process list `make run` starts,
on free ports, against this run's databases and vhost."""

import asyncio
import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devstack.launch import StackFailed, launched, stop
from devstack.stack import DEFAULT_PORTS, stack_env
from gateway import bootstrap
from gateway.config import GatewaySettings
from opsdesk_shared.testing.plugin import RunEnvironment
from opsdesk_shared.testing.workers import purge_queues

ROOT = Path(__file__).resolve().parent.parent
STACK_ADMIN = "e2e-admin"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The demo morning leaves the demo engineers busy: it runs after the tests that expect them free. Fault
    drills stop the broker, restart PostgreSQL and kill workers: they run after the other tests, so the
    backlogs and restarted processes they leave cannot slow the other tests' waits. The administrators'
    fuzzing runs after everything: its random administrative writes (SLA policies, templates, units, keys)
    would change what the other tests rely on."""
    last = ("demo_data", "drill", "administration_fuzz")

    def order(item: pytest.Item) -> int:
        return next((n for n, marker in enumerate(last, 1) if item.get_closest_marker(marker)), 0)

    items.sort(key=order)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    url: str
    sink_url: str
    credentials: dict[str, str]
    log_dir: Path
    env: dict[str, str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10)

    def token(self, username: str) -> str:
        resp = httpx.post(
            f"{self.url}/api/auth/login",
            json={"username": username, "password": self.credentials[username]},
            timeout=10,
        )
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def logs(self, process: str = "*") -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob(f"{process}.log")))


def service_queue_names(env: RunEnvironment) -> list[str]:
    import assets.messaging.consumers
    import dispatch.messaging.consumers
    import intake.messaging.consumers
    import notifications.messaging.consumers
    import reporting.messaging.consumers
    from intake.config import IntakeSettings
    from notifications.config import NotificationsSettings

    subscriptions = [
        *dispatch.messaging.consumers.SUBSCRIPTIONS,
        *intake.messaging.consumers.subscriptions(env.settings(IntakeSettings)),
        *notifications.messaging.consumers.subscriptions(env.settings(NotificationsSettings)),
        *reporting.messaging.consumers.SUBSCRIPTIONS,
        *assets.messaging.consumers.SUBSCRIPTIONS,
    ]
    return [s.name for s in subscriptions]


@pytest.fixture(scope="session")
def stack(migrated: RunEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir = tmp_path_factory.mktemp("stack-logs")
    credentials_file = log_dir / "credentials.json"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPSDESK_", "TWILIO_", "ALIYUN_"))}
    # The API fuzzer signs in hundreds of times from one address: the login limiter is the gateway tests'
    # subject, not this stack's, and must not lock the other end-to-end tests out.
    # The SMS provider drill trips the sender's circuit breaker: a pause of seconds, not the production 30 s,
    # and a provider time-out of 3 s, keep it a drill of a minute.
    limits = {
        "OPSDESK_LOGIN_RATE_LIMIT": "100000/minute",
        "OPSDESK_SMS_BREAKER_COOLDOWN_S": "3",
        "OPSDESK_TWILIO_TIMEOUT_S": "3",
        # Ticket news to one number is merged over a window (60 s in production): seconds here, so the browser
        # tests that wait for a second SMS to one requester do not wait a minute.
        "OPSDESK_SMS_MERGE_WINDOW_S": "5",
        # Alibaba Cloud SMS pushes (unsigned) only from a network nobody here is on (TEST-NET-1), as in production:
        # refused like an unsigned Twilio callback. The Aliyun drill opens loopback for its stand-in.
        "OPSDESK_ALIYUN_PUSH_NETWORKS": "192.0.2.0/24",
    }
    env = stack_env(
        {**base, **migrated.env(), **limits}, root=ROOT, ports={name: free_port() for name in DEFAULT_PORTS}
    )
    asyncio.run(purge_queues(migrated.amqp_url, service_queue_names(migrated)))  # other tests' leftovers
    asyncio.run(
        bootstrap.run(
            # An administrator of the stack's own, whose password lands in the credentials file: the run's
            # gateway tests may have made `admin` already, and its password is only printed once.
            migrated.settings(
                GatewaySettings, jwt_private_key_file=migrated.private_key_file, admin_username=STACK_ADMIN
            ),
            demo=True,
            credentials_file=credentials_file,
        )
    )
    try:
        with launched(env, log_dir, cwd=ROOT) as url:
            yield Stack(url, env["TWILIO_API_BASE_URL"], json.loads(credentials_file.read_text()), log_dir, env)
    except StackFailed as exc:
        pytest.fail(str(exc))
    leaks = personal_data_in_logs(log_dir)
    assert not leaks, "personal data in the logs of the end-to-end run:\n" + "\n".join(leaks[:20])


@pytest.fixture(scope="session")
def replacements(stack: Stack) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes the fault drills started in place of ones they killed: they serve the rest of the run
    and are stopped before the stack (which only knows the processes it started)."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    stop(started)


# A whole mainland mobile number (not a run of digits inside a hex id), and the requester names the
# end-to-end tests file tickets under: neither may appear in any log line of the run (issue 8).
UNMASKED_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86)?1[3-9]\d{9}(?![0-9A-Za-z])")
TEST_PERSON_NAMES = ("李强", "王五", "王小明", "赵六", "欧阳娜娜")


def personal_data_in_logs(log_dir: Path) -> list[str]:
    leaks = []
    for log in sorted(log_dir.glob("*.log")):
        for number, line in enumerate(log.read_text(errors="replace").splitlines(), start=1):
            if UNMASKED_MOBILE.search(line) or any(name in line for name in TEST_PERSON_NAMES):
                leaks.append(f"{log.name}:{number}: {line[:300]}")
    return leaks
